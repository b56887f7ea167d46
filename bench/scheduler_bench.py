"""What the one scheduler gets out of Upbit's budget, against a simulator process at 30 ms.

* bulk: a LOW backfill and 40 NORMAL charts saturate the candle group with no
  CRITICAL work about: candle calls/s and 429s over a steady stretch, against
  the simulator's default window and against a strict 1.000 s window;
* bot start: a live bot starts in the middle of that backfill (takes the
  CRITICAL reserve, waits until it is free) and asks for 1m candles on the
  CRITICAL path twice a second (the reserve is two calls a window):
  end-to-end p50/p99; then again with the bot subscribed to the 1m candle
  stream, which answers from the stream and storage between candle closes;
* four panels: 30 KRW markets x (5m candles, ticker, orderbook, trades) asked
  at once, through the backbone and through ccxt async (``enableRateLimit``);
* two and three processes: app processes on one address, each backfilling its
  own market: candle calls/s together, 429s and 418s; each on its own database
  (the headers alone tell them of each other), and three sharing one database
  (a desk: they split the budget through it).

    python -m bench.scheduler_bench [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from backbone import MarketDataBackbone, Priority
from bench.common import (
    JITTER_MS,
    LATENCY_MS,
    RATE_PER_S,
    fresh_backbone,
    history_range,
    own_process_load,
    percentiles,
    ratio,
)
from bench.simproc import SimCounts, SimProcess

WARM_UP_S = 2.0  # the probe and the first pages, left out of the steady figures
CHARTS = 40
PANEL_MARKETS = 30
BOT_EVERY_S = 0.5  # a bot polling candles twice a second: within the reserve of two a window


def _candle_rate(counts: SimCounts, elapsed: float) -> dict[str, Any]:
    """Candle calls the simulator served over ``elapsed`` seconds (refusals left out), and its refusals."""
    refused = counts.statuses.get(429, 0) + counts.statuses.get(418, 0)
    calls = counts.calls.get("candle", 0) - refused
    return {
        "seconds": round(elapsed, 2),
        "candle_calls": calls,
        "calls_per_s": round(calls / elapsed, 2),
        "share_of_ceiling": round(calls / elapsed / RATE_PER_S, 3),
        "status_429": counts.statuses.get(429, 0),
        "status_418": counts.statuses.get(418, 0),
    }


async def _cancel_all(tasks: list[asyncio.Future[Any]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _saturate(backbone: MarketDataBackbone, markets: list[str]) -> list[asyncio.Future[Any]]:
    """A 90-day LOW backfill of the first market and a NORMAL chart of 2,000 minutes per other one."""
    start, end = history_range(90)
    work = [
        asyncio.ensure_future(
            backbone.get_candle_data(markets[0], "1m", start_time=start, end_time=end, priority=Priority.LOW)
        )
    ]
    for market in markets[1 : CHARTS + 1]:
        work.append(asyncio.ensure_future(backbone.get_candle_data(market, "1m", count=2000, priority=Priority.NORMAL)))
    return work


async def bulk_rate(seconds: float, rate_window_s: float | None) -> dict[str, Any]:
    """Candle calls/s while LOW and NORMAL work saturate the group and no CRITICAL call is about."""
    async with SimProcess(latency_ms=LATENCY_MS, jitter_ms=JITTER_MS, rate_window_s=rate_window_s) as sim:
        async with fresh_backbone(sim.rest_url, sim.ws_url) as backbone:
            markets = [m["market"] for m in (await backbone.list_markets("KRW")).data]
            work = await _saturate(backbone, markets)
            await asyncio.sleep(WARM_UP_S)
            before = await sim.stats()
            started = time.perf_counter()
            await asyncio.sleep(seconds)
            counts = (await sim.stats()).minus(before)
            elapsed = time.perf_counter() - started
            reserve_held = backbone._router.scheduler.reserve_held()
            await _cancel_all(work)
    return {"sim_window_s": rate_window_s or "default (0.93)", **_candle_rate(counts, elapsed),
            "reserve_held": reserve_held}


async def bot_starts_mid_backfill(requests: int, streamed: bool = False) -> dict[str, Any]:
    """A live bot starts while bulk work saturates the candle group: its CRITICAL candle latency.

    ``streamed``: the bot also subscribes the 1m candle stream, so after its first REST
    answer (stored once answered) its candles come from the stream and storage.
    """
    async with SimProcess(latency_ms=LATENCY_MS, jitter_ms=JITTER_MS) as sim:
        async with fresh_backbone(sim.rest_url, sim.ws_url) as backbone:
            markets = [m["market"] for m in (await backbone.list_markets("KRW")).data]
            work = await _saturate(backbone, markets)
            await asyncio.sleep(WARM_UP_S + 1.0)
            before = await sim.stats()
            lease = backbone.hold_critical_reserve()
            ready_s = await lease.ready()
            stream = backbone.subscribe_candles("KRW-BTC", "1m") if streamed else None
            if stream is not None:
                await anext(stream)
            latencies: list[float] = []
            channels: dict[str, int] = {}
            failures = 0
            for _ in range(requests):
                response = await backbone.get_candle_data("KRW-BTC", "1m", count=5, priority=Priority.CRITICAL)
                if response.success:
                    latencies.append(response.metadata.processing_time_ms)
                    channel = response.metadata.channel or "?"
                    channels[channel] = channels.get(channel, 0) + 1
                else:
                    failures += 1
                await asyncio.sleep(BOT_EVERY_S)
            if stream is not None:
                await stream.close()
            lease.release()
            counts = (await sim.stats()).minus(before)
            backfill_running = not work[0].done()
            await _cancel_all(work)
    return {
        "streamed": streamed,
        "reserve_ready_ms": round(ready_s * 1000, 1),
        "critical_candles": percentiles(latencies),
        "answered_by": channels,
        "failures": failures,
        "backfill_still_running": backfill_running,
        "status_429": counts.statuses.get(429, 0),
    }


def _ccxt_symbol(market: str) -> str:
    quote, base = market.split("-", 1)
    return f"{base}/{quote}"


async def four_panels() -> dict[str, Any]:
    """30 markets x (5m candles, ticker, orderbook, trades) at once: the backbone against ccxt async."""
    async with SimProcess(latency_ms=LATENCY_MS, jitter_ms=JITTER_MS) as sim:
        async with fresh_backbone(sim.rest_url, sim.ws_url) as backbone:
            markets = [m["market"] for m in (await backbone.list_markets("KRW")).data][:PANEL_MARKETS]
            await asyncio.sleep(1.1)  # a fresh second for the measurement
            before = await sim.stats()
            started = time.perf_counter()
            answers = await asyncio.gather(
                *(backbone.get_candle_data(m, "5m", count=200, priority=Priority.NORMAL) for m in markets),
                *(backbone.get_ticker_data([m], priority=Priority.HIGH) for m in markets),
                *(backbone.get_orderbook_data([m], priority=Priority.NORMAL) for m in markets),
                *(backbone.get_trade_data(m, count=100, priority=Priority.NORMAL) for m in markets),
            )
            ours_s = time.perf_counter() - started
            ours = (await sim.stats()).minus(before)
    ok = sum(1 for a in answers if a.success)
    peer = await _ccxt_four_panels(markets)
    return {
        "markets": len(markets),
        "requests": len(answers),
        "backbone": {"wall_s": round(ours_s, 3), "calls": ours.total, "answered": ok,
                     "status_429": ours.statuses.get(429, 0)},
        "ccxt_async": peer,
        "speedup": ratio(peer["wall_s"], ours_s, 2),
    }


async def _ccxt_four_panels(markets: list[str]) -> dict[str, Any]:
    import ccxt.async_support as ccxt_async

    async with SimProcess(latency_ms=LATENCY_MS, jitter_ms=JITTER_MS) as sim:
        exchange = ccxt_async.upbit({"enableRateLimit": True})
        exchange.urls["api"] = dict.fromkeys(exchange.urls["api"], sim.rest_url.removesuffix("/v1"))
        try:
            await exchange.load_markets()
            await asyncio.sleep(1.1)
            before = await sim.stats()
            started = time.perf_counter()
            symbols = [_ccxt_symbol(m) for m in markets]
            answers = await asyncio.gather(
                *(exchange.fetch_ohlcv(s, "5m", limit=200) for s in symbols),
                *(exchange.fetch_ticker(s) for s in symbols),
                *(exchange.fetch_order_book(s) for s in symbols),
                *(exchange.fetch_trades(s, limit=100) for s in symbols),
                return_exceptions=True,
            )
            wall = time.perf_counter() - started
            counts = (await sim.stats()).minus(before)
        finally:
            await exchange.close()
    errors = [a for a in answers if isinstance(a, BaseException)]
    return {
        "wall_s": round(wall, 3), "calls": counts.total, "answered": len(answers) - len(errors),
        "status_429": counts.statuses.get(429, 0),
        "error": f"{type(errors[0]).__name__}: {errors[0]}" if errors else None,
    }


async def desk_processes(seconds: float, processes: int = 2, shared_database: bool = False) -> dict[str, Any]:
    """``processes`` app processes on one address, each backfilling its own market.

    With ``shared_database`` they use one SQLite file, as app processes on one
    machine do by default, and so form a desk; otherwise each has its own.
    """
    with tempfile.TemporaryDirectory(prefix="bench-desk-") as folder:
        databases = [str(Path(folder) / ("desk.sqlite" if shared_database else f"own-{i}.sqlite"))
                     for i in range(processes)]
        return {"shared_database": shared_database, **await _desk_run(seconds, databases)}


async def _desk_run(seconds: float, databases: list[str]) -> dict[str, Any]:
    processes = len(databases)
    async with SimProcess(latency_ms=LATENCY_MS, jitter_ms=JITTER_MS) as sim:
        markets = ["KRW-BTC", "KRW-ETH", "KRW-XRP"][:processes]
        children = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.scheduler_bench", "--child", sim.rest_url, sim.ws_url, market,
                str(seconds + WARM_UP_S + 1.0), database,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, env={**os.environ},
            )
            for market, database in zip(markets, databases, strict=True)
        ]
        await asyncio.sleep(WARM_UP_S + 1.0)  # start-up of both, and their probes
        before = await sim.stats()
        started = time.perf_counter()
        await asyncio.sleep(seconds)
        counts = (await sim.stats()).minus(before)
        elapsed = time.perf_counter() - started
        reports = []
        for child in children:
            out, _ = await child.communicate()
            lines = out.decode().strip().splitlines()
            reports.append(json.loads(lines[-1]) if lines else {"error": f"exit {child.returncode}"})
    return {"processes": processes, **_candle_rate(counts, elapsed), "per_process": reports}


async def _child(rest_url: str, ws_url: str, market: str, seconds: float, database: str) -> dict[str, Any]:
    async with MarketDataBackbone(rest_url, ws_url, database, load_sampler=own_process_load) as backbone:
        start, end = history_range(90)
        task = asyncio.ensure_future(
            backbone.get_candle_data(market, "1m", start_time=start, end_time=end, priority=Priority.LOW)
        )
        await asyncio.sleep(seconds)
        stats = backbone._router.stats()
        desk = backbone._coordinator.desk
        window = backbone._router.scheduler.window("candle")
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return {"market": market, "calls": stats.calls_by_group.get("candle", 0), "status_429": stats.status_429,
            "learnt_foreign": window.tightened, "desk_members": len(desk.members),
            "desk_part": window.part(asyncio.get_running_loop().time())}


async def run(quick: bool = False) -> dict[str, Any]:
    """Every case, one after the other, each on its own simulator process."""
    seconds = 8.0 if quick else 30.0
    return {
        "bulk_default_window": await bulk_rate(seconds, None),
        "bulk_strict_window": await bulk_rate(seconds, 1.0),
        "bot_start": await bot_starts_mid_backfill(20 if quick else 100),
        "bot_streamed": await bot_starts_mid_backfill(20 if quick else 100, streamed=True),
        "four_panels": await four_panels(),
        "two_processes": await desk_processes(seconds),
        "three_processes": await desk_processes(seconds, 3),
        "three_processes_desk": await desk_processes(seconds, 3, shared_database=True),
        "latency_ms": LATENCY_MS,
        "jitter_ms": JITTER_MS,
    }


def print_figures(result: dict[str, Any]) -> None:
    """One readable line per case."""
    for key in ("bulk_default_window", "bulk_strict_window"):
        row = result[key]
        print(f"bulk, sim window {row['sim_window_s']}: {row['calls_per_s']} candle calls/s "
              f"({row['share_of_ceiling']:.0%} of 10), {row['status_429']} x 429, reserve held: {row['reserve_held']}")
    for key, label in (("bot_start", "REST only"), ("bot_streamed", "with a 1m candle stream")):
        bot = result[key]
        print(f"bot starts mid-backfill, {label}: reserve ready in {bot['reserve_ready_ms']} ms, CRITICAL 1m "
              f"candles {bot['critical_candles']}, answered by {bot['answered_by']}, {bot['status_429']} x 429")
    panels = result["four_panels"]
    print(f"four panels, {panels['markets']} markets: backbone {panels['backbone']['wall_s']} s "
          f"({panels['backbone']['calls']} calls), ccxt async {panels['ccxt_async']['wall_s']} s "
          f"({panels['ccxt_async']['calls']} calls): {panels['speedup']}x")
    for key in ("two_processes", "three_processes", "three_processes_desk"):
        desk = result[key]
        databases = "one shared database (a desk)" if desk["shared_database"] else "a database each"
        print(f"{desk['processes']} processes, one address, {databases}: {desk['calls_per_s']} candle calls/s "
              f"together, {desk['status_429']} x 429, {desk['status_418']} x 418")


if __name__ == "__main__":
    if "--child" in sys.argv:
        at = sys.argv.index("--child")
        rest, ws, market, seconds, database = sys.argv[at + 1 : at + 6]
        print(json.dumps(asyncio.run(_child(rest, ws, market, float(seconds), database))), flush=True)
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 s steady stretches instead of 30 s")
    print_figures(asyncio.run(run(quick=parser.parse_args().quick)))
