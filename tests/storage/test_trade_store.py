"""Trades on both back ends: one row per (market, sequential_id), reads by time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backbone.domain.errors import InvalidInputError
from backbone.domain.models import Trade
from backbone.storage import MarketStore
from tests.storage.conftest import T0

T0_MS = int(T0.timestamp() * 1000)


def trade(seq: int, offset_ms: int, market: str = "KRW-BTC", price: float = 50_000_000.0) -> Trade:
    return Trade(
        market=market,
        timestamp=T0_MS + offset_ms,
        trade_price=price,
        trade_volume=0.0123,
        prev_closing_price=49_500_000.0,
        change_price=500_000.0,
        ask_bid="BID" if seq % 2 else "ASK",
        sequential_id=17_000_000_000_000_000 + seq,  # Upbit's ids are this large
    )


async def test_trades_round_trip_and_come_back_in_time_order(store: MarketStore) -> None:
    trades = [trade(3, 300), trade(1, 100), trade(2, 200), trade(4, 200)]
    assert await store.write_trades(trades) == 4

    got = await store.read_trades("KRW-BTC", T0, T0 + timedelta(seconds=1))

    assert got == [trades[1], trades[2], trades[3], trades[0]]  # by time, ties by id
    assert got[0].time == T0 + timedelta(milliseconds=100)


async def test_the_same_trade_is_stored_once(store: MarketStore) -> None:
    first = [trade(i, i) for i in range(10)]
    assert await store.write_trades(first) == 10
    # A later page overlaps the first, as cursor pagination does, and repeats one trade inside.
    second = [trade(i, i) for i in range(5, 15)] + [trade(14, 14)]
    assert await store.write_trades(second) == 5

    got = await store.read_trades("KRW-BTC", T0, T0 + timedelta(seconds=1))
    assert [t.sequential_id % 1000 for t in got] == list(range(15))
    assert await store.count_trades("KRW-BTC") == 15


async def test_the_same_id_in_two_markets_is_two_trades(store: MarketStore) -> None:
    assert await store.write_trades([trade(1, 0), trade(1, 0, market="KRW-ETH")]) == 2
    assert len(await store.read_trades("KRW-ETH", T0, T0 + timedelta(seconds=1))) == 1
    assert await store.count_trades() == 2


async def test_trade_reads_are_half_open(store: MarketStore) -> None:
    await store.write_trades([trade(i, i * 1000) for i in range(5)])
    got = await store.read_trades("KRW-BTC", T0 + timedelta(seconds=1), T0 + timedelta(seconds=3))
    assert [t.timestamp - T0_MS for t in got] == [1000, 2000]


async def test_writing_no_trades_is_a_no_op(store: MarketStore) -> None:
    assert await store.write_trades([]) == 0


async def test_something_that_is_not_a_trade_is_refused(store: MarketStore) -> None:
    with pytest.raises(InvalidInputError) as caught:
        await store.write_trades([trade(1, 0), {"market": "KRW-BTC"}])  # type: ignore[list-item]
    assert caught.value.field == "trades"
    assert await store.count_trades() == 0


async def test_delete_market_removes_its_trades_and_candles_only(store: MarketStore) -> None:
    from tests.storage.conftest import MINUTE, make_candles

    await store.write_trades([trade(i, i) for i in range(3)] + [trade(9, 9, market="KRW-ETH")])
    await store.write_candles("KRW-BTC", MINUTE, make_candles(range(4)))

    assert await store.delete_market("KRW-BTC") == 7
    assert await store.count_trades() == 1
    assert await store.size_report() == []
    assert await store.delete_market("KRW-BTC") == 0
