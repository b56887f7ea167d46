"""Latency per priority, idle and while a LOW backfill runs: p50/p99 and the loaded/idle ratio.

A live bot's two kinds of CRITICAL request are sampled side by side: a ticker
every 100 ms (answered from the WebSocket snapshot once subscribed, REST before
that) and the latest one-minute candle every 500 ms (always REST, drawing on the
2 calls/s only CRITICAL may use). Beside them a screener's HIGH tickers of 20 KRW
markets every second and a chart's NORMAL 200 five-minute candles every second
(served from storage after the first). First with nothing else running, then
during a cold LOW backfill of KRW-BTC (1 week; 3 months in the full run) on the
same backbone.

    python -m bench.latency_bench [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from backbone import MarketDataBackbone, Priority
from bench.common import (
    JITTER_MS,
    LATENCY_MS,
    fresh_backbone,
    history_range,
    pages_for,
    percentiles,
    ratio,
)
from bench.simproc import SimProcess

TICKER_EVERY_S = 0.1
# The CRITICAL reserve is 2 calls/s; a bot asking for candles faster than that competes
# with everyone else for the rest of the budget, which is not what is measured here.
CANDLE_EVERY_S = 0.5
TICKER_MARKET = "KRW-ETH"
CANDLE_MARKET = "KRW-XRP"
HIGH_EVERY_S = 1.0
NORMAL_EVERY_S = 1.0
SCREENED = 20
KINDS = ("ticker", "candle", "high", "normal")


_screened: list[str] = []  # the screener's markets, filled from the exchange's list


async def _loop(
    backbone: MarketDataBackbone, kind: str, every_s: float, rounds: int | None, until: asyncio.Task[Any] | None,
    samples: list[float], errors: list[str],
) -> None:
    done = 0
    while (rounds is not None and done < rounds) or (until is not None and not until.done()):
        started = time.perf_counter()
        if kind == "ticker":
            response = await backbone.get_ticker_data([TICKER_MARKET], priority=Priority.CRITICAL)
        elif kind == "candle":
            response = await backbone.get_candle_data(CANDLE_MARKET, "1m", count=1, priority=Priority.CRITICAL)
        elif kind == "high":
            response = await backbone.get_ticker_data(_screened, priority=Priority.HIGH)
        else:
            response = await backbone.get_candle_data("KRW-ETH", "5m", count=200, priority=Priority.NORMAL)
        elapsed = (time.perf_counter() - started) * 1000
        if response.success:
            samples.append(elapsed)
        else:
            errors.append(f"{kind}: {response.error_code}")
        done += 1
        await asyncio.sleep(max(every_s - elapsed / 1000, 0.0))


async def _sample(backbone: MarketDataBackbone, *, rounds: int | None = None, until: asyncio.Task[Any] | None = None) -> dict[str, Any]:
    samples: dict[str, list[float]] = {kind: [] for kind in KINDS}
    errors: list[str] = []
    every = {"ticker": TICKER_EVERY_S, "candle": CANDLE_EVERY_S, "high": HIGH_EVERY_S, "normal": NORMAL_EVERY_S}
    await asyncio.gather(
        *(
            _loop(
                backbone, kind, every[kind],
                None if rounds is None else max(1, round(rounds * CANDLE_EVERY_S / every[kind])),
                until, samples[kind], errors,
            )
            for kind in KINDS
        )
    )
    return {**{kind: percentiles(values) for kind, values in samples.items()}, "errors": errors}


async def run(quick: bool = False) -> dict[str, Any]:
    """Idle and loaded CRITICAL latency percentiles."""
    days = 7 if quick else 90
    start, end = history_range(days)
    async with SimProcess(latency_ms=LATENCY_MS, jitter_ms=JITTER_MS) as sim:
        async with fresh_backbone(sim.rest_url, sim.ws_url) as backbone:
            # the first ticker subscribes; later ones are WebSocket snapshots
            await backbone.get_ticker_data([TICKER_MARKET], priority=Priority.CRITICAL)
            markets = await backbone.list_markets("KRW")
            _screened[:] = [row["market"] for row in markets.data[:SCREENED]]
            await asyncio.sleep(1.0)
            idle = await _sample(backbone, rounds=20 if quick else 60)
            await asyncio.sleep(1.1)
            before = await sim.stats()
            started = time.perf_counter()
            backfill = asyncio.create_task(
                backbone.get_candle_data("KRW-BTC", "1m", start_time=start, end_time=end, priority=Priority.LOW)
            )
            loaded = await _sample(backbone, until=backfill)
            response = await backfill
            wall = time.perf_counter() - started
            counts = (await sim.stats()).minus(before)
    result: dict[str, Any] = {
        "ticker_every_s": TICKER_EVERY_S, "candle_every_s": CANDLE_EVERY_S,
        "idle": idle,
        "during_backfill": loaded,
        "backfill": {
            "days": days, "pages_planned": pages_for(start, end), "wall_s": round(wall, 2),
            "candles": len(response.data), "success": response.success,
            "candle_calls": counts.calls.get("candle", 0), "status_429": counts.statuses.get(429, 0),
        },
    }
    for kind in KINDS:
        result[f"{kind}_loaded_over_idle"] = {
            "p50": ratio(loaded[kind].get("p50_ms"), idle[kind].get("p50_ms"), 2),
            "p99": ratio(loaded[kind].get("p99_ms"), idle[kind].get("p99_ms"), 2),
        }
    return result


def print_figures(result: dict[str, Any]) -> None:
    """A readable table of ``run``'s figures."""
    backfill = result["backfill"]
    print(f"Latency per priority, idle and during a {backfill['days']}-day LOW backfill "
          f"({backfill['wall_s']} s, {backfill['candle_calls']} calls, {backfill['status_429']} 429s)")
    print(f"{'request':<10}{'idle p50':>10}{'idle p99':>10}{'load p50':>10}{'load p99':>10}{'p50 x':>7}{'p99 x':>7}")
    for kind in KINDS:
        if kind not in result["idle"]:
            continue
        idle, loaded = result["idle"][kind], result["during_backfill"][kind]
        ratios = result[f"{kind}_loaded_over_idle"]
        print(f"{kind:<10}{idle.get('p50_ms', 0):>10.1f}{idle.get('p99_ms', 0):>10.1f}{loaded.get('p50_ms', 0):>10.1f}"
              f"{loaded.get('p99_ms', 0):>10.1f}{ratios['p50'] or 0:>7.2f}{ratios['p99'] or 0:>7.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer idle samples, a one-week backfill")
    print_figures(asyncio.run(run(quick=parser.parse_args().quick)))
