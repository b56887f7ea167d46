"""Coarser timeframes over stored minutes: aggregated with no exchange call, equal to the exchange's own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from backbone import MarketDataBackbone, Priority
from backbone.domain.clock import format_to_param
from backbone.domain.timeframes import TIMEFRAMES
from backbone.sim import ExchangeSimulator

MARKET = "KRW-BTC"
FAST = {"candle": 200.0}  # both sides allow more pages a second: the month of minutes loads in seconds


def _previous_month() -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    this_month = datetime(now.year, now.month, 1, tzinfo=UTC)
    return TIMEFRAMES["1M"].shift(this_month, -1), this_month


async def _exchange_candles(sim: ExchangeSimulator, code: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The simulator's own candles in ``[start, end)``, over a real socket, ascending."""
    found: dict[str, dict[str, Any]] = {}
    cursor = end
    async with aiohttp.ClientSession() as session:
        while cursor > start:
            params = {"market": MARKET, "count": "200", "to": format_to_param(cursor)}
            async with session.get(f"{sim.rest_url}/candles/{TIMEFRAMES[code].path}", params=params) as answer:
                answer.raise_for_status()
                page = await answer.json()
            for row in page:
                when = datetime.fromisoformat(row["candle_date_time_utc"]).replace(tzinfo=UTC)
                if start <= when < end:
                    found[row["candle_date_time_utc"]] = row
            if len(page) < 200:
                break
            cursor = datetime.fromisoformat(page[-1]["candle_date_time_utc"]).replace(tzinfo=UTC)
    return [found[key] for key in sorted(found)]


async def test_every_derived_timeframe_equals_the_exchange_and_costs_no_call(
    make_simulator: Any, tmp_path: Path
) -> None:
    sim = await make_simulator(rate_limits=FAST, latency_ms=0.0, jitter_ms=0.0)
    start, end = _previous_month()
    async with MarketDataBackbone(sim.rest_url, sim.ws_url, str(tmp_path / "db.sqlite"), rate_limits=FAST) as backbone:
        minutes = await backbone.get_candle_data(
            MARKET, "1m", start_time=start - timedelta(days=1), end_time=end, priority=Priority.HIGH
        )
        assert minutes.success, minutes.error
        monday = TIMEFRAMES["1w"].ceil(start)
        ranges = {code: (start, end) for code in ("3m", "5m", "10m", "15m", "30m", "60m", "240m", "1d", "1M")}
        ranges["1w"] = (monday, TIMEFRAMES["1w"].floor(end))
        for code, (first, stop) in ranges.items():
            calls = sim.stats.calls["candle"]

            derived = await backbone.get_candle_data(MARKET, code, start_time=first, end_time=stop)

            assert derived.success, derived.error
            assert sim.stats.calls["candle"] == calls, f"{code} went to the exchange"
            assert derived.metadata.upstream_calls == 0 and derived.metadata.cache_hit
            truth = await _exchange_candles(sim, code, first, stop)
            assert len(truth) > 0
            assert derived.data == truth, code

        # "The latest N" (what a chart asks) is derived the same way.
        calls = sim.stats.calls["candle"]
        latest = await backbone.get_candle_data(MARKET, "4h", count=60, end_time=end)
        assert sim.stats.calls["candle"] == calls and latest.metadata.data_count == 60
        assert latest.data == (await _exchange_candles(sim, "240m", end - timedelta(hours=240), end))


async def test_slots_whose_minutes_are_not_all_stored_are_fetched(simulator: ExchangeSimulator, tmp_path: Path) -> None:
    async with MarketDataBackbone(simulator.rest_url, simulator.ws_url, str(tmp_path / "db.sqlite")) as backbone:
        hour = TIMEFRAMES["60m"].floor(datetime.now(UTC)) - timedelta(hours=6)
        # Minutes of three whole hours, then half of the fourth.
        await backbone.get_candle_data(MARKET, "1m", start_time=hour, end_time=hour + timedelta(minutes=210))
        calls = simulator.stats.calls["candle"]

        hours = await backbone.get_candle_data(MARKET, "1h", start_time=hour, end_time=hour + timedelta(hours=4))

        assert hours.success and hours.metadata.upstream_calls == 1
        assert simulator.stats.calls["candle"] == calls + 1
        truth = await _exchange_candles(simulator, "60m", hour, hour + timedelta(hours=4))
        assert hours.data == truth
