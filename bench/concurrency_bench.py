"""100 concurrent clients of mixed priority on one backbone: throughput, errors, calls saved.

Each client loops for the whole run (60 s; 10 s with --quick), 10 ms between requests:

* 10 CRITICAL live bots: the ticker of one of five top markets;
* 30 HIGH screeners: tickers of 30 random KRW markets;
* 50 NORMAL charts: the latest 200 candles of one of ten markets in 1m/5m/15m/60m;
* 10 LOW backtests: one day of one-minute history of one of twenty markets.

"Calls saved" compares the exchange calls the simulator answered with the calls
the same requests would cost a client without single flight, storage or cache
(one per ticker request or 200-candle page).

    python -m bench.concurrency_bench [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections import Counter
from datetime import timedelta
from typing import Any

from backbone import MarketDataBackbone, Priority
from backbone.domain.models import utc_now
from bench.common import (
    JITTER_MS,
    LATENCY_MS,
    MINUTE,
    fresh_backbone,
    pages_for,
    percentiles,
    ratio,
)
from bench.simproc import SimProcess

THINK_S = 0.01
CANDLE_TIMEFRAMES = ("1m", "5m", "15m", "60m")


class _Tally:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = {p.value: [] for p in Priority}
        self.ok = 0
        self.errors: Counter[str] = Counter()
        self.naive_calls = 0
        self.crashed: list[str] = []


async def _client(index: int, backbone: MarketDataBackbone, krw: list[str], deadline: float, tally: _Tally) -> None:
    rng = random.Random(index)
    role = index % 10
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        if role == 0:
            priority, naive = Priority.CRITICAL, 1
            response = await backbone.get_ticker_data([rng.choice(krw[:5])], priority=priority)
        elif role <= 3:
            priority, naive = Priority.HIGH, 1
            response = await backbone.get_ticker_data(rng.sample(krw, 30), priority=priority)
        elif role <= 8:
            priority, naive = Priority.NORMAL, 1
            response = await backbone.get_candle_data(
                rng.choice(krw[:10]), rng.choice(CANDLE_TIMEFRAMES), count=200, priority=priority
            )
        else:
            priority = Priority.LOW
            end = MINUTE.floor(utc_now()) - timedelta(days=rng.randrange(0, 5), minutes=10)
            start = end - timedelta(days=1)
            naive = pages_for(start, end)
            response = await backbone.get_candle_data(
                rng.choice(krw[:20]), "1m", start_time=start, end_time=end, priority=priority
            )
        tally.latency[priority.value].append((time.perf_counter() - started) * 1000)
        tally.naive_calls += naive
        if response.success:
            tally.ok += 1
        else:
            tally.errors[response.error_code or "NO_CODE"] += 1
        await asyncio.sleep(THINK_S)


async def run(quick: bool = False, clients: int = 100) -> dict[str, Any]:
    """Run ``clients`` mixed clients for 60 s (10 s quick) and count."""
    seconds = 10.0 if quick else 60.0
    tally = _Tally()
    async with SimProcess(latency_ms=LATENCY_MS, jitter_ms=JITTER_MS) as sim:
        async with fresh_backbone(sim.rest_url, sim.ws_url) as backbone:
            krw = [m["market"] for m in (await backbone.list_markets("KRW")).data]
            before = await sim.stats()
            started = time.perf_counter()
            deadline = started + seconds
            outcomes = await asyncio.gather(
                *(_client(i, backbone, krw, deadline, tally) for i in range(clients)), return_exceptions=True
            )
            wall = time.perf_counter() - started
            counts = (await sim.stats()).minus(before)
            snapshot = backbone.metrics_snapshot()
    tally.crashed = [f"{type(o).__name__}: {o}" for o in outcomes if isinstance(o, BaseException)]
    requests = tally.ok + sum(tally.errors.values())
    return {
        "clients": clients, "duration_s": seconds, "seconds": round(wall, 1), "requests": requests,
        "throughput_per_s": round(requests / wall, 1), "succeeded": tally.ok, "errors": dict(tally.errors),
        "crashed_clients": tally.crashed,
        "latency_by_priority": {p: percentiles(v) for p, v in tally.latency.items()},
        "upstream_calls": counts.total, "upstream_by_group": counts.calls,
        "status_429": counts.statuses.get(429, 0),
        "calls_without_sharing": tally.naive_calls,
        "calls_saved": tally.naive_calls - counts.total,
        "saved_fraction": ratio(tally.naive_calls - counts.total, tally.naive_calls, 4),
        "cache_hit_ratio": round(snapshot.cache_hit_ratio, 4),
        "ws_state": snapshot.ws_state,
    }


def print_figures(result: dict[str, Any]) -> None:
    """A readable table of ``run``'s figures."""
    print(f"{result['clients']} clients for {result['seconds']} s: {result['requests']} requests, "
          f"{result['throughput_per_s']}/s, errors {result['errors'] or 'none'}, crashed {len(result['crashed_clients'])}")
    print(f"exchange calls {result['upstream_calls']} (429s {result['status_429']}) instead of "
          f"{result['calls_without_sharing']}: saved {result['calls_saved']} ({(result['saved_fraction'] or 0):.1%})")
    print(f"{'priority':<10}{'n':>7}{'p50 ms':>10}{'p99 ms':>10}")
    for name, row in result["latency_by_priority"].items():
        print(f"{name:<10}{row['n']:>7}{row.get('p50_ms', 0):>10.1f}{row.get('p99_ms', 0):>10.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 s instead of 60 s")
    print_figures(asyncio.run(run(quick=parser.parse_args().quick)))
