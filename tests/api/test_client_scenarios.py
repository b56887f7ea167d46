"""The design's four client scenarios, end to end against the simulator."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from backbone import MarketDataBackbone, Priority, ProgressEvent
from backbone.sim import ExchangeSimulator


async def test_chart_viewer_gets_1000_candles_then_the_same_from_cache(
    simulator: ExchangeSimulator, backbone: MarketDataBackbone
) -> None:
    first = await backbone.get_candle_data("KRW-BTC", "1m", count=1000, priority=Priority.NORMAL)
    assert first.success, first.error
    assert first.metadata.data_count == 1000 == len(first.data)
    assert first.metadata.path_taken == "standard"
    assert first.metadata.priority_used is Priority.NORMAL
    starts = [row["candle_date_time_utc"] for row in first.data]
    assert starts == sorted(starts) and len(set(starts)) == 1000
    calls = simulator.stats.calls["candle"]

    second = await backbone.get_candle_data("KRW-BTC", "1m", count=1000, priority=Priority.NORMAL)
    assert second.success and second.metadata.cache_hit
    assert second.metadata.upstream_calls == 0
    assert simulator.stats.calls["candle"] == calls
    assert [row["candle_date_time_utc"] for row in second.data] == starts


async def test_screener_gets_every_krw_ticker_in_one_call(
    simulator: ExchangeSimulator, backbone: MarketDataBackbone
) -> None:
    krw = simulator.market_codes("KRW")
    before = simulator.stats.calls["ticker"]
    response = await backbone.get_ticker_data(krw, priority=Priority.HIGH)
    assert response.success, response.error
    assert {row["market"] for row in response.data} == set(krw)
    assert simulator.stats.calls["ticker"] - before == 1
    assert response.metadata.path_taken == "standard"


async def test_backtester_loads_three_days_low_with_progress_to_100(
    make_simulator: object, make_backbone: object
) -> None:
    sim = await make_simulator(latency_ms=1)  # type: ignore[operator]
    bb = await make_backbone(sim)  # type: ignore[operator]
    events: list[ProgressEvent] = []
    end = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
    response = await bb.get_candle_data(
        "KRW-BTC", "1m", start_time=end - timedelta(days=3), end_time=end, priority=Priority.LOW, progress=events.append
    )
    assert response.success, response.error
    assert response.metadata.path_taken == "protected"
    assert response.metadata.data_count > 3 * 1440 * 0.9
    percents = [e.percent for e in events]
    assert percents == sorted(percents)
    assert events[-1].done and events[-1].percent == 100.0


async def test_live_bot_ticker_goes_straight_to_layer_1(backbone: MarketDataBackbone) -> None:
    response = await backbone.get_ticker_data(["KRW-BTC"], priority=Priority.CRITICAL)
    assert response.success, response.error
    assert response.metadata.path_taken == "critical"
    assert response.metadata.source_layers == ["layer_1"]
    assert response.data[0]["market"] == "KRW-BTC"
    assert response.data[0]["trade_price"] > 0


async def test_100_concurrent_clients_of_mixed_priority_get_no_error(
    simulator: ExchangeSimulator, backbone: MarketDataBackbone
) -> None:
    markets = simulator.market_codes("KRW")[:20]

    async def client(i: int) -> bool:
        market = markets[i % len(markets)]
        kind = i % 4
        if kind == 0:
            r = await backbone.get_ticker_data([market], priority=Priority.CRITICAL)
        elif kind == 1:
            r = await backbone.get_ticker_data(markets, priority=Priority.HIGH)
        elif kind == 2:
            r = await backbone.get_candle_data(market, "5m", count=300, priority=Priority.NORMAL)
        else:
            r = await backbone.get_orderbook_data([market], priority=Priority.LOW)
        assert r.success, (i, r.error_code, r.error)
        return r.success

    results = await asyncio.gather(*(client(i) for i in range(100)))
    assert all(results)
    assert simulator.stats.statuses[429] == 0


async def test_screener_and_chart_quotes_through_the_api_are_batched_with_their_own_metadata(
    simulator: ExchangeSimulator, backbone: MarketDataBackbone
) -> None:
    markets = simulator.market_codes("KRW")[:10]
    await backbone.get_ticker_data(["KRW-BTC"])  # the market list and the cold-start probe
    before = simulator.stats.calls["ticker"]

    responses = await asyncio.gather(*(backbone.get_ticker_data([m]) for m in markets))

    assert simulator.stats.calls["ticker"] - before <= 2  # a cached KRW-BTC may not need the call
    assert all(r.success for r in responses)
    assert [r.data[0]["market"] for r in responses] == markets
    assert len({r.metadata.request_id for r in responses}) == len(markets)
