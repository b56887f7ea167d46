"""History through the backbone and through pyupbit and ccxt, side by side; chart and screener cases.

Against a simulator process with a realistic 30 ms (+-5 ms) round trip and
Upbit's limit of 10 calls/s per group:

* cold backfill of KRW-BTC one-minute candles (3 months; 1 week with --quick):
  the backbone on the protected (LOW) path into an empty SQLite file, then
  pyupbit and ccxt, each on a fresh simulator with the same seed;
* warm re-read of the same range from storage;
* the chart case: 1,000 candles cold and warm (seed target 2 s);
* the screener case: tickers of every KRW market, cold and warm (seed target 3 s).

    python -m bench.backbone_bench [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import datetime
from typing import Any

from backbone import MarketDataBackbone, Priority
from backbone.router.endpoints import RATE_WINDOW_S
from bench.common import (
    JITTER_MS,
    LATENCY_MS,
    RATE_PER_S,
    fresh_backbone,
    history_range,
    pages_for,
    ratio,
)
from bench.peers import ccxt_backfill, pyupbit_backfill
from bench.simproc import SimProcess

CHART_TARGET_S = 2.0
SCREENER_TARGET_S = 3.0


async def timed_candles(
    backbone: MarketDataBackbone, sim: SimProcess, symbol: str, **kwargs: Any
) -> dict[str, Any]:
    """One ``get_candle_data`` call: wall time, exchange calls counted at the simulator."""
    before = await sim.stats()
    started = time.perf_counter()
    response = await backbone.get_candle_data(symbol, "1m", **kwargs)
    wall = time.perf_counter() - started
    counts = (await sim.stats()).minus(before)
    meta = response.metadata
    return {
        "wall_s": round(wall, 3),
        "calls": counts.calls.get("candle", 0),
        "status_429": counts.statuses.get(429, 0),
        "candles": len(response.data),
        "success": response.success,
        "error": response.error,
        "deferred_ms": round(meta.deferred_ms, 1),
        "first": response.data[0]["candle_date_time_utc"] if response.data else None,
        "last": response.data[-1]["candle_date_time_utc"] if response.data else None,
    }


async def _backbone_backfill(start: datetime, end: datetime) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    async with SimProcess(latency_ms=LATENCY_MS, jitter_ms=JITTER_MS) as sim:
        async with fresh_backbone(sim.rest_url, sim.ws_url) as backbone:
            cold = await timed_candles(backbone, sim, "KRW-BTC", start_time=start, end_time=end, priority=Priority.LOW)
            warm = await timed_candles(backbone, sim, "KRW-BTC", start_time=start, end_time=end, priority=Priority.LOW)
            await asyncio.sleep(1.1)
            cases = await _chart_and_screener(backbone, sim)
    return cold, warm, cases


async def _chart_and_screener(backbone: MarketDataBackbone, sim: SimProcess) -> dict[str, Any]:
    chart_cold = await timed_candles(backbone, sim, "KRW-ETH", count=1000, priority=Priority.NORMAL)
    chart_warm = await timed_candles(backbone, sim, "KRW-ETH", count=1000, priority=Priority.NORMAL)
    krw = [m["market"] for m in (await backbone.list_markets("KRW")).data]
    screener: dict[str, Any] = {"markets": len(krw), "target_s": SCREENER_TARGET_S}
    for label in ("cold", "warm"):
        before = await sim.stats()
        started = time.perf_counter()
        response = await backbone.get_ticker_data(krw, priority=Priority.HIGH)
        wall = time.perf_counter() - started
        counts = (await sim.stats()).minus(before)
        screener[label] = {
            "wall_s": round(wall, 3), "calls": counts.calls.get("ticker", 0), "tickers": len(response.data),
            "success": response.success, "meets_target": response.success and wall < SCREENER_TARGET_S,
        }
    chart = {
        "target_s": CHART_TARGET_S, "cold": chart_cold, "warm": chart_warm,
        "cold_meets_target": chart_cold["success"] and chart_cold["wall_s"] < CHART_TARGET_S,
        "warm_meets_target": chart_warm["success"] and chart_warm["wall_s"] < CHART_TARGET_S,
    }
    return {"chart_1000": chart, "screener_all_krw": screener}


async def run(quick: bool = False) -> dict[str, Any]:
    """Cold backfill (ours and the peers'), warm re-read, chart and screener cases."""
    days = 7 if quick else 90
    start, end = history_range(days)
    pages = pages_for(start, end)
    ceiling_s = pages / RATE_PER_S
    ours, warm, cases = await _backbone_backfill(start, end)
    async with SimProcess(latency_ms=LATENCY_MS, jitter_ms=JITTER_MS) as sim:
        # pyupbit pages by count: ask for exactly the candles that exist in the range
        pyupbit = await pyupbit_backfill(sim, max(ours["candles"], 1), end)
    async with SimProcess(latency_ms=LATENCY_MS, jitter_ms=JITTER_MS) as sim:
        ccxt = await ccxt_backfill(sim, start, end)
    for figures in (ours, pyupbit, ccxt):
        figures["ratio_to_ceiling"] = ratio(figures["wall_s"], ceiling_s)
    for figures in (pyupbit, ccxt):
        figures["time_vs_backbone"] = ratio(figures["wall_s"], ours["wall_s"], 2)
    warm["ratio_to_cold"] = ratio(warm["wall_s"], ours["wall_s"], 5)
    return {
        "cold_backfill": {
            "market": "KRW-BTC", "timeframe": "1m", "days": days, "start": start.isoformat(), "end": end.isoformat(),
            "pages_planned": pages, "ceiling_s": round(ceiling_s, 2),
            # with no CRITICAL call about, bulk work may spend the whole window; a token comes back
            # one window after its answer: 10 calls per (1 s + the round trip)
            "scheduler_ceiling_s": round(pages * (RATE_WINDOW_S + LATENCY_MS / 1000) / RATE_PER_S, 2),
            "latency_ms": LATENCY_MS,
            "jitter_ms": JITTER_MS,
            "backbone_low": ours, "pyupbit": pyupbit, "ccxt_async": ccxt,
        },
        "warm_reread": warm,
        **cases,
    }


def print_figures(result: dict[str, Any]) -> None:
    """A readable table of ``run``'s figures."""
    cold = result["cold_backfill"]
    print(f"Cold backfill {cold['market']} {cold['timeframe']}, {cold['days']} days, {cold['pages_planned']} pages, "
          f"ceiling {cold['ceiling_s']} s at 10 calls/s")
    print(f"{'client':<14}{'wall s':>9}{'calls':>7}{'429s':>6}{'candles':>9}{'x ceiling':>11}{'x ours':>8}  error")
    for name in ("backbone_low", "pyupbit", "ccxt_async"):
        row = cold[name]
        print(f"{name:<14}{row['wall_s']:>9.2f}{row['calls']:>7}{row['status_429']:>6}{row['candles']:>9}"
              f"{row['ratio_to_ceiling'] or 0:>11.2f}{row.get('time_vs_backbone') or 1.0:>8.2f}  {row['error'] or ''}")
    warm = result["warm_reread"]
    print(f"warm re-read: {warm['wall_s']:.3f} s, {warm['calls']} calls, {warm['ratio_to_cold']:.4f} of cold")
    chart = result["chart_1000"]
    for label in ("cold", "warm"):
        row = chart[label]
        print(f"chart 1,000 {label}: {row['wall_s']:.3f} s, {row['calls']} calls (target {chart['target_s']} s)")
    screener = result["screener_all_krw"]
    for label in ("cold", "warm"):
        row = screener[label]
        print(f"screener {screener['markets']} KRW tickers {label}: {row['wall_s']:.3f} s, {row['calls']} calls "
              f"(target {screener['target_s']} s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one week of history instead of three months")
    print_figures(asyncio.run(run(quick=parser.parse_args().quick)))
