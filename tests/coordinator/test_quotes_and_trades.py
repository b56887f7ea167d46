"""Tickers, orderbooks and trades: few batched calls, answered from the cache when fresh."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from backbone.coordinator import Coordinator
from backbone.domain.errors import InvalidInputError
from backbone.domain.models import Orderbook, Ticker, Trade, utc_now
from backbone.domain.priority import Priority
from backbone.storage import MarketStore


async def test_every_krw_ticker_in_one_call_then_from_the_cache(
    simulator: Any, coordinator: Coordinator
) -> None:
    markets = simulator.market_codes("KRW")
    assert len(markets) > 100

    first = await coordinator.get_tickers(markets, priority=Priority.HIGH)

    assert simulator.stats.calls["ticker"] == 1
    assert first.upstream_calls == 1 and not first.cache_hit
    assert [t.market for t in first.data] == markets
    assert all(isinstance(t, Ticker) for t in first.data)

    second = await coordinator.get_tickers(markets, priority=Priority.HIGH)

    assert simulator.stats.calls["ticker"] == 1
    assert second.upstream_calls == 0 and second.cache_hit
    assert second.data == first.data


async def test_a_few_tickers_take_one_call_and_duplicates_are_merged(
    simulator: Any, coordinator: Coordinator
) -> None:
    result = await coordinator.get_tickers(["KRW-BTC", "krw-eth", "KRW-BTC", "BTC-ETH"])

    assert simulator.stats.calls["ticker"] == 1 == result.upstream_calls
    assert [t.market for t in result.data] == ["KRW-BTC", "KRW-ETH", "BTC-ETH"]


async def test_tickers_across_quotes_beyond_one_batch_take_one_call(
    simulator: Any, coordinator: Coordinator
) -> None:
    markets = simulator.market_codes("KRW")[:120] + simulator.market_codes("BTC")[:10]

    result = await coordinator.get_tickers(markets)

    assert simulator.stats.calls["ticker"] == 1 == result.upstream_calls
    assert [t.market for t in result.data] == markets


async def test_orderbooks_are_batched_and_cached(simulator: Any, coordinator: Coordinator) -> None:
    markets = simulator.market_codes("KRW")[:150]

    first = await coordinator.get_orderbooks(markets)

    assert simulator.stats.calls["orderbook"] == 2 == first.upstream_calls
    assert [o.market for o in first.data] == markets
    assert all(isinstance(o, Orderbook) and o.units for o in first.data)
    again = await coordinator.get_orderbooks(markets[:10])
    assert again.cache_hit and simulator.stats.calls["orderbook"] == 2


async def test_unknown_and_malformed_markets_are_refused(coordinator: Coordinator) -> None:
    with pytest.raises(InvalidInputError) as caught:
        await coordinator.get_tickers(["KRW-BTC", "nonsense"])
    assert caught.value.field == "markets"
    with pytest.raises(InvalidInputError):
        await coordinator.get_tickers([])


async def test_latest_trades_by_cursor_ascending_without_duplicates(
    simulator: Any, coordinator: Coordinator, store: MarketStore
) -> None:
    result = await coordinator.get_trades("KRW-BTC", count=1200)

    trades = result.data
    assert len(trades) == 1200
    assert all(isinstance(t, Trade) for t in trades)
    assert result.upstream_calls == simulator.stats.calls["trade"] >= 3
    keys = [(t.timestamp, t.sequential_id) for t in trades]
    assert keys == sorted(keys)
    assert len({t.sequential_id for t in trades}) == 1200
    stored = await store.read_trades("KRW-BTC", trades[0].time, trades[-1].time + timedelta(seconds=1))
    assert {t.sequential_id for t in trades} <= {t.sequential_id for t in stored}


async def test_trades_back_to_a_start_time(simulator: Any, coordinator: Coordinator) -> None:
    start = utc_now() - timedelta(minutes=30)

    result = await coordinator.get_trades("KRW-ETH", start=start, priority=Priority.LOW)

    trades = result.data
    assert trades and all(t.time >= start for t in trades)
    assert trades[0].time - start < timedelta(minutes=5)  # reached back to the start
    keys = [(t.timestamp, t.sequential_id) for t in trades]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


async def test_trades_older_than_a_week_are_refused(coordinator: Coordinator) -> None:
    with pytest.raises(InvalidInputError) as caught:
        await coordinator.get_trades("KRW-BTC", start=utc_now() - timedelta(days=8))
    assert caught.value.field == "start"
    with pytest.raises(InvalidInputError) as caught:
        await coordinator.get_trades("KRW-BTC", count=0)
    assert caught.value.field == "count"
