"""Coordinator benchmark: exchange calls and wall time for typical candle requests.

Runs an in-process simulator with realistic latency (30 ms +- 5 ms) and Upbit's
rate limit (10 candle calls/s), a real SQLite file, and measures:

* 1,000 one-minute candles, cold (empty storage) and warm (all stored);
* three months of one-minute candles (about 648 pages) cold, against the rate
  limit's ceiling (pages / 10 per second), and warm;
* single flight: 100 callers asking for the same 1,000 candles at once.

    python -m bench.coordinator_bench [--quick]     (--quick: one week instead of three months)
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from backbone.coordinator import CandleRequest, Coordinator
from backbone.domain.models import utc_now
from backbone.domain.priority import Priority
from backbone.domain.timeframes import parse_timeframe
from backbone.router import SmartRouter
from backbone.router.endpoints import MAX_CANDLE_COUNT as PAGE_SIZE
from backbone.sim import ExchangeSimulator
from backbone.storage import MarketStore, MemoryCache

MINUTE = parse_timeframe("1m")
RATE_PER_S = 10.0  # Upbit's candle group limit


async def _timed(sim: ExchangeSimulator, coordinator: Coordinator, request: CandleRequest) -> dict[str, Any]:
    calls = sim.stats.calls["candle"]
    started = time.perf_counter()
    result = await coordinator.get_candles(request)
    wall = time.perf_counter() - started
    return {
        "calls": sim.stats.calls["candle"] - calls,
        "wall_s": round(wall, 3),
        "candles": len(result.candles),
    }


async def run(quick: bool = False) -> dict[str, Any]:
    """Run every scenario once; figures as a JSON-serialisable dict."""
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        async with ExchangeSimulator(port=0, latency_ms=30.0, jitter_ms=5.0) as sim:
            store = MarketStore(str(Path(folder) / "bench.db"))
            await store.open()
            try:
                async with SmartRouter(sim.rest_url, sim.ws_url) as router:
                    coordinator = Coordinator(router, store, MemoryCache())
                    figures = await _scenarios(sim, coordinator, quick)
                    await coordinator.close()
            finally:
                await store.close()
    return figures


async def _scenarios(sim: ExchangeSimulator, coordinator: Coordinator, quick: bool) -> dict[str, Any]:
    krw = sim.market_codes("KRW")
    end = MINUTE.floor(utc_now()) - timedelta(minutes=5)
    figures: dict[str, Any] = {}

    thousand = CandleRequest(krw[0], MINUTE, count=1000, end=end)
    figures["1000_cold"] = await _timed(sim, coordinator, thousand)
    figures["1000_warm"] = await _timed(sim, coordinator, thousand)
    await asyncio.sleep(1.1)  # let the rate budget refill between scenarios

    days = 7 if quick else 90
    history = CandleRequest(krw[1], MINUTE, start=end - timedelta(days=days), end=end, priority=Priority.NORMAL)
    cold = await _timed(sim, coordinator, history)
    pages = -(-days * 1440 // PAGE_SIZE)
    ceiling_s = pages / RATE_PER_S
    cold.update(pages_planned=pages, ceiling_s=round(ceiling_s, 2), ratio_to_ceiling=round(cold["wall_s"] / ceiling_s, 3))
    figures[f"{days}d_cold"] = cold
    figures[f"{days}d_warm"] = await _timed(sim, coordinator, history)
    await asyncio.sleep(1.1)

    callers = 100
    shared = CandleRequest(krw[2], MINUTE, count=1000, end=end)
    calls = sim.stats.calls["candle"]
    started = time.perf_counter()
    results = await asyncio.gather(*(coordinator.get_candles(shared) for _ in range(callers)))
    wall = time.perf_counter() - started
    made = sim.stats.calls["candle"] - calls
    without = callers * figures["1000_cold"]["calls"]
    figures["single_flight_100"] = {
        "calls": made,
        "calls_without_sharing": without,
        "saving": round(1 - made / without, 4),
        "wall_s": round(wall, 3),
        "candles_each": len(results[0].candles),
    }
    figures["quick"] = quick
    return figures


def _print(figures: dict[str, Any]) -> None:
    print(f"{'scenario':<20} {'calls':>7} {'wall s':>9} {'candles':>9}  notes")
    for name, row in figures.items():
        if not isinstance(row, dict):
            continue
        notes = ""
        if "ratio_to_ceiling" in row:
            notes = f"{row['pages_planned']} pages, ceiling {row['ceiling_s']} s, ratio {row['ratio_to_ceiling']}"
        if "saving" in row:
            notes = f"without sharing {row['calls_without_sharing']} calls, saving {row['saving']:.1%}"
        candles = row.get("candles", row.get("candles_each", ""))
        print(f"{name:<20} {row['calls']:>7} {row['wall_s']:>9.3f} {candles:>9}  {notes}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one week of history instead of three months")
    arguments = parser.parse_args()
    _print(asyncio.run(run(quick=arguments.quick)))
