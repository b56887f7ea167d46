"""Smart router benchmark: budget use per group, 429s, CRITICAL token waits, snapshot ages.

Runs an in-process simulator with realistic latency (30 ms +- 5 ms) and measures:

* calls/s achieved per Upbit group by 50 callers of mixed priority, against the
  group's 10/s limit, and the 429s the exchange answered;
* calls/s when only non-CRITICAL callers load a group (the CRITICAL reserve stays idle);
* CRITICAL token wait and end-to-end latency, idle and while LOW callers saturate
  the candle group;
* WebSocket snapshot age at the moment ``request()`` answers from it;
* reading one 200-candle REST page (1m and 1d) into columns: straight from the JSON
  rows (``CandleColumns.from_upbit``, what ``fetch_candles`` does) against one
  ``Candle`` per row then ``CandleColumns.from_candles`` (the per-candle path). CPU-bound,
  so noisy on a shared machine: the ratio measured in one sitting is the figure to keep.

    python -m bench.router_bench [--quick] [--parse-only]
"""

from __future__ import annotations

import argparse
import asyncio
import time
import timeit
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from backbone.domain.candle_columns import CandleColumns
from backbone.domain.clock import format_to_param
from backbone.domain.models import Candle, utc_now
from backbone.domain.priority import Priority
from backbone.domain.timeframes import Timeframe, parse_timeframe
from backbone.router import DEFAULT_LIMITS_PER_S, GROUPS, SmartRouter
from backbone.router.endpoints import RATE_WINDOW_S
from backbone.sim import ExchangeSimulator

MINUTE = parse_timeframe("1m")
MIXED = (Priority.CRITICAL, Priority.HIGH, Priority.NORMAL, Priority.LOW)
Call = Callable[[Priority], Awaitable[Any]]


def _calls(router: SmartRouter) -> dict[str, Call]:
    return {
        "market": lambda p: router.fetch_markets(priority=p),
        "candle": lambda p: router.fetch_candles("KRW-BTC", MINUTE, count=200, priority=p),
        "ticker": lambda p: router.fetch_tickers(["KRW-BTC", "KRW-ETH"], priority=p),
        "orderbook": lambda p: router.fetch_orderbooks(["KRW-BTC"], priority=p),
        "trade": lambda p: router.fetch_trades("KRW-BTC", count=100, priority=p),
    }


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def _load(
    call: Call, callers: int, duration_s: float, priorities: tuple[Priority, ...]
) -> float:
    """Callers back to back for ``duration_s``; returns calls completed per second in that span."""
    started = time.monotonic()
    finished: list[float] = []

    async def caller(index: int) -> None:
        priority = priorities[index % len(priorities)]
        while True:
            await call(priority)
            finished.append(time.monotonic())

    tasks = [asyncio.create_task(caller(i)) for i in range(callers)]
    await asyncio.sleep(duration_s)
    for task in tasks:  # queued callers are cancelled rather than drained
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return sum(1 for t in finished if t - started <= duration_s) / duration_s


async def _throughput(
    sim: ExchangeSimulator, duration_s: float, priorities: tuple[Priority, ...]
) -> dict[str, Any]:
    async with SmartRouter(sim.rest_url, sim.ws_url) as router:
        sim.stats.reset()
        calls = _calls(router)
        rates = await asyncio.gather(*(_load(calls[g], 50, duration_s, priorities) for g in GROUPS))
        limits = {g: b.limit_per_s for g, b in router.rate_budget().items()}
        return {
            "calls_per_s": dict(zip(GROUPS, rates, strict=True)),
            "ratio": {g: r / limits[g] for g, r in zip(GROUPS, rates, strict=True)},
            "status_429": sim.stats.statuses[429],
        }


async def _critical_waits(sim: ExchangeSimulator, samples: int, saturate: bool) -> dict[str, float]:
    async with SmartRouter(sim.rest_url, sim.ws_url) as router:

        async def low_backfill() -> None:
            while True:
                await router.fetch_candles("KRW-ETH", MINUTE, count=200, priority=Priority.LOW)

        low = [asyncio.create_task(low_backfill()) for _ in range(20)] if saturate else []
        if saturate:
            await asyncio.sleep(1.5)
        candle_e2e: list[float] = []
        ticker_e2e: list[float] = []
        for _ in range(samples):
            started = time.perf_counter()
            await router.fetch_candles("KRW-BTC", MINUTE, count=10, priority=Priority.CRITICAL)
            candle_e2e.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            await router.fetch_tickers(["KRW-BTC"], priority=Priority.CRITICAL)
            ticker_e2e.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.35)
        for task in low:
            task.cancel()
        await asyncio.gather(*low, return_exceptions=True)
        stats = router.stats()
        waits = stats.token_wait_ms[Priority.CRITICAL]
        low_waits = stats.token_wait_ms[Priority.LOW]
        return {
            "token_wait_p50_ms": _pct(waits, 50),
            "token_wait_p99_ms": _pct(waits, 99),
            "candle_e2e_p50_ms": _pct(candle_e2e, 50),
            "candle_e2e_p99_ms": _pct(candle_e2e, 99),
            "ticker_e2e_p50_ms": _pct(ticker_e2e, 50),
            "ticker_e2e_p99_ms": _pct(ticker_e2e, 99),
            "low_token_wait_p50_ms": _pct(low_waits, 50) if low_waits else 0.0,
            "status_429": stats.status_429,
        }


async def _snapshot_ages(sim: ExchangeSimulator, duration_s: float) -> dict[str, float]:
    markets = sim.market_codes("KRW")[:10]
    async with SmartRouter(sim.rest_url, sim.ws_url) as router:
        await router.subscribe("ticker", markets)
        await router.subscribe("orderbook", markets)
        deadline = time.monotonic() + 10
        while (await router.request("ticker", markets[:1])).channel != "websocket":
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        result: dict[str, float] = {}
        for kind in ("ticker", "orderbook"):
            ages: list[float] = []
            latencies: list[float] = []
            by_ws = 0
            total = 0
            stop = time.monotonic() + duration_s / 2
            while time.monotonic() < stop:
                for market in markets:
                    answer = await router.request(kind, [market])
                    total += 1
                    if answer.channel == "websocket" and answer.snapshot_age_ms is not None:
                        by_ws += 1
                        ages.append(answer.snapshot_age_ms)
                        latencies.append(answer.elapsed_ms)
                await asyncio.sleep(0.05)
            result[f"{kind}_age_p50_ms"] = _pct(ages, 50)
            result[f"{kind}_age_p99_ms"] = _pct(ages, 99)
            result[f"{kind}_websocket_share"] = by_ws / total if total else 0.0
            result[f"{kind}_ws_answer_p99_ms"] = _pct(latencies, 99)
        result["ws_messages"] = router.stats().ws_messages
        return result


async def _page_rows(sim: ExchangeSimulator, code: str) -> list[dict[str, Any]]:
    """One 200-row page of closed KRW-BTC candles, as the exchange's JSON rows."""
    tf = parse_timeframe(code)
    params = {"market": "KRW-BTC", "count": "200", "to": format_to_param(tf.floor(utc_now()))}
    async with aiohttp.ClientSession() as session, session.get(
        f"{sim.rest_url}/candles/{tf.path}", params=params
    ) as response:
        response.raise_for_status()
        rows: list[dict[str, Any]] = await response.json()
    return rows


def _best_us(action: Callable[[], Any], repeats: int, number: int) -> float:
    """Microseconds per call in the quickest of ``repeats`` runs: what other load on a shared
    machine adds only ever slows a run down, so the minimum is the steadiest figure."""
    return min(timeit.repeat(action, number=number, repeat=repeats)) / number * 1e6


async def _page_parse(sim: ExchangeSimulator, quick: bool) -> dict[str, Any]:
    """Microseconds to read one 200-row page into columns, per path, best of repeats."""
    repeats, number = (5, 100) if quick else (15, 200)
    figures: dict[str, Any] = {}
    for code in ("1m", "1d"):
        tf = parse_timeframe(code)
        rows = await _page_rows(sim, code)

        def per_candle_path(tf: Timeframe = tf, rows: list[dict[str, Any]] = rows) -> CandleColumns:
            return CandleColumns.from_candles("KRW-BTC", tf, [Candle.from_upbit(r, tf) for r in rows])

        def columnar_path(tf: Timeframe = tf, rows: list[dict[str, Any]] = rows) -> CandleColumns:
            return CandleColumns.from_upbit("KRW-BTC", tf, rows)

        per_candle = _best_us(per_candle_path, repeats, number)
        columnar = _best_us(columnar_path, repeats, number)
        figures[code] = {
            "rows": len(rows),
            "per_candle_us": per_candle,
            "from_upbit_us": columnar,
            "speedup": per_candle / columnar,
        }
    return figures


async def run(quick: bool = False, parse_only: bool = False) -> dict[str, Any]:
    """Start a simulator (30 ms +- 5 ms latency), measure, return the figures."""
    duration = 3.0 if quick else 6.0
    samples = 8 if quick else 25
    sim = ExchangeSimulator(latency_ms=30.0, jitter_ms=5.0)
    await sim.start()
    try:
        parse = await _page_parse(sim, quick)
        if parse_only:
            return {"page_parse": parse}
        await asyncio.sleep(1.2)
        # Each scenario gets a fresh router; the pause lets the exchange's window forget
        # the previous one, as it would between two runs of the app.
        mixed = await _throughput(sim, duration, MIXED)
        await asyncio.sleep(1.2)
        normal_only = await _throughput(sim, duration, (Priority.NORMAL,))
        await asyncio.sleep(1.2)
        idle = await _critical_waits(sim, samples, saturate=False)
        await asyncio.sleep(1.2)
        loaded = await _critical_waits(sim, samples, saturate=True)
        ages = await _snapshot_ages(sim, duration)
    finally:
        await sim.stop()
    return {
        # The scheduler's long-run ceiling per group: a token comes back one window after
        # its answer, so capacity per (window + the 30 ms round trip).
        "sustained_ceiling_per_s": int(DEFAULT_LIMITS_PER_S["candle"]) / (RATE_WINDOW_S + 0.030),
        "latency_ms": 30.0,
        "jitter_ms": 5.0,
        "duration_s": duration,
        "throughput_mixed": mixed,
        "throughput_normal_only": normal_only,
        "critical_idle": idle,
        "critical_under_low_load": loaded,
        "snapshots": ages,
        "page_parse": parse,
    }


def _print_parse(parse: dict[str, Any]) -> None:
    print("\n200-candle page into columns (us, best of repeats; CPU-bound, noisy on a shared machine)")
    print(f"{'timeframe':<11}{'rows':>6}{'per candle':>12}{'from_upbit':>12}{'speedup':>9}")
    for code, row in parse.items():
        print(
            f"{code:<11}{row['rows']:>6}{row['per_candle_us']:>12.0f}"
            f"{row['from_upbit_us']:>12.0f}{row['speedup']:>8.1f}x"
        )


def _print(figures: dict[str, Any]) -> None:
    if "throughput_mixed" not in figures:
        _print_parse(figures["page_parse"])
        return
    print(
        f"Smart router bench (simulator latency {figures['latency_ms']} ms +- {figures['jitter_ms']} ms)"
    )
    print(f"\n{'group':<10}{'mixed calls/s':>15}{'ratio':>8}{'NORMAL-only/s':>15}{'ratio':>8}")
    mixed, normal = figures["throughput_mixed"], figures["throughput_normal_only"]
    for group in GROUPS:
        print(
            f"{group:<10}{mixed['calls_per_s'][group]:>15.2f}{mixed['ratio'][group]:>8.2f}"
            f"{normal['calls_per_s'][group]:>15.2f}{normal['ratio'][group]:>8.2f}"
        )
    print(f"429 answers: mixed {mixed['status_429']}, NORMAL-only {normal['status_429']}")
    print(
        f"sustained ceiling {figures['sustained_ceiling_per_s']:.2f}/s per group; "
        "NORMAL-only leaves the 2-token CRITICAL reserve idle"
    )
    print(f"\n{'CRITICAL (ms)':<28}{'idle':>10}{'LOW saturating':>16}")
    idle, loaded = figures["critical_idle"], figures["critical_under_low_load"]
    for key in idle:
        print(f"{key:<28}{idle[key]:>10.2f}{loaded[key]:>16.2f}")
    print("\nWebSocket snapshots")
    for key, value in figures["snapshots"].items():
        print(f"  {key:<28}{value:>10.2f}")
    _print_parse(figures["page_parse"])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs")
    parser.add_argument("--parse-only", action="store_true", help="only the page-parsing case")
    arguments = parser.parse_args()
    _print(asyncio.run(run(quick=arguments.quick, parse_only=arguments.parse_only)))
