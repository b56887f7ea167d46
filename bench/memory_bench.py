"""Peak memory of a backtest holding 1,000,000 one-minute candles.

One child process fills a fresh SQLite cache with the candles and their
coverage; a second one (so nothing else inflates its figures, as when the app
opens a cache it filled earlier) runs the backtest panel's own path without the
window: ``stream_candle_columns`` (LOW, all from storage) into
``IncrementalBacktest`` chunk by chunk, then the final pass. A thread samples
the process's RSS every 10 ms; the figures are RSS before the backtest, the
peak during it, and the peak minus the baseline per candle.

    python -m bench.memory_bench [--quick]      (--quick: 250,000 candles)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

FULL_CANDLES = 1_000_000
QUICK_CANDLES = 250_000
WRITE_CHUNK = 50_000


class _PeakRss:
    """Samples this process's RSS in a thread until stopped."""

    def __init__(self, every_s: float = 0.01) -> None:
        import psutil

        self._process = psutil.Process()
        self._every = every_s
        self.peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            time.sleep(self._every)

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)


async def _fill(db: str, count: int) -> tuple[datetime, datetime]:
    import numpy as np

    from backbone.domain.candle_columns import CandleColumns
    from backbone.domain.clock import utc_to_ms
    from backbone.domain.timeframes import parse_timeframe
    from backbone.storage import MarketStore

    minute = parse_timeframe("1m")
    start, end = _range(count)
    rng = np.random.default_rng(3)
    close = 100_000_000 * np.exp(np.cumsum(rng.normal(0, 0.001, count)))
    starts = utc_to_ms(start) + 60_000 * np.arange(count, dtype=np.int64)
    store = MarketStore(db)
    await store.open()
    try:
        for first in range(0, count, WRITE_CHUNK):
            part = slice(first, min(first + WRITE_CHUNK, count))
            price = close[part]
            rows = CandleColumns.from_ohlcv(
                starts[part], price, price * 1.001, price * 0.999, price, np.full(len(price), 2.0),
                market="KRW-BTC", timeframe=minute, value=price * 2.0, last_trade_ms=starts[part] + 59_000,
            )
            covered = (start + timedelta(minutes=first), start + timedelta(minutes=part.stop))
            await store.write_candles("KRW-BTC", minute, rows, covered=covered)
    finally:
        await store.close()
    return start, end


async def _child(count: int, db: str) -> dict[str, Any]:
    import gc
    import resource

    import psutil

    from backbone import MarketDataBackbone, Priority
    from backbone.sim import ExchangeSimulator
    from ui.models.backtest.engine import IncrementalBacktest
    from ui.models.backtest.strategies import STRATEGIES

    start, end = _range(count)  # filled by another process: its memory is not the backtest's
    # The exchange is only a stand-in (every candle is stored): no warm-up of its price data.
    async with ExchangeSimulator(port=0, latency_ms=1.0, jitter_ms=0.0, warm_up=False) as sim:
        async with MarketDataBackbone(sim.rest_url, sim.ws_url, db) as backbone:
            gc.collect()
            baseline = psutil.Process().memory_info().rss
            strategy = STRATEGIES["ma_cross"]
            engine = IncrementalBacktest(strategy, strategy.defaults(), fee=0.0005, bar_seconds=60.0)
            started = time.perf_counter()
            with _PeakRss() as peak:
                async for chunk in backbone.stream_candle_columns(
                    "KRW-BTC", "1m", start_time=start, end_time=end, priority=Priority.LOW
                ):
                    engine.add(chunk)
                result = engine.finish()
            run_s = time.perf_counter() - started
            held = engine.bars
            final_rss = psutil.Process().memory_info().rss
            calls = sim.stats.calls.get("candle", 0)
    return {
        "candles": held,
        "backtest_s": round(run_s, 2),
        "rss_baseline_mb": round(baseline / 2**20, 1),
        "rss_peak_mb": round(peak.peak / 2**20, 1),
        "rss_after_mb": round(final_rss / 2**20, 1),
        "peak_over_baseline_mb": round((peak.peak - baseline) / 2**20, 1),
        "bytes_per_candle_at_peak": round((peak.peak - baseline) / max(held, 1)),
        "max_rss_process_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "exchange_candle_calls": calls,
        "trades": len(result.trades),
    }


async def run(quick: bool = False) -> dict[str, Any]:
    """Fill a cache in one child process, backtest over it in another; the second's figures."""
    count = QUICK_CANDLES if quick else FULL_CANDLES
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as folder:
        db = str(Path(folder) / "cache.sqlite")
        started = time.perf_counter()
        out: dict[str, Any] = {}
        for step in ("--fill", "--child"):
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.memory_bench", step, str(count), "--db", db,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )
            stdout, err = await process.communicate()
            if process.returncode != 0:
                return {"candles": count, "error": err.decode(errors="replace")[-2000:]}
            if step == "--fill":
                out["fill_s"] = round(time.perf_counter() - started, 1)
        return {**out, **json.loads(stdout.decode().strip().splitlines()[-1])}


def _range(count: int) -> tuple[datetime, datetime]:
    """The ``count`` minutes the cache holds: they end a day before today's start (UTC)."""
    from backbone.domain.timeframes import parse_timeframe

    end = parse_timeframe("1d").floor(datetime.now(UTC)) - timedelta(days=1)
    return end - timedelta(minutes=count), end


def print_figures(result: dict[str, Any]) -> None:
    """A readable table of ``run``'s figures."""
    if "error" in result:
        print(f"memory bench failed: {result['error']}")
        return
    print(f"Backtest holding {result['candles']:,} candles: RSS {result['rss_baseline_mb']} MB before, "
          f"peak {result['rss_peak_mb']} MB (+{result['peak_over_baseline_mb']} MB, "
          f"{result['bytes_per_candle_at_peak']} B/candle), {result['backtest_s']} s, "
          f"{result['exchange_candle_calls']} exchange calls")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="250,000 candles instead of 1,000,000")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--fill", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--db", default=None, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.fill is not None:
        asyncio.run(_fill(arguments.db, arguments.fill))
    elif arguments.child is not None:
        print(json.dumps(asyncio.run(_child(arguments.child, arguments.db))))
    else:
        print_figures(asyncio.run(run(quick=arguments.quick)))
