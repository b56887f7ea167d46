"""Candles from storage to caller: warm re-reads as dicts, columns and DataFrame; derived timeframes; cold paths.

* a cache holding 90 days (129,600) of stored 1m candles with coverage; the first read
  after start (from the database) and warm re-reads through ``get_candle_data`` as the
  seed's dicts (``response.data``), through the columnar accessor (``response.candles``)
  and through ``to_frame()``;
* 1h and 1d over a fully stored month of 1m: exchange calls spent (derived, so 0);
* cold paths on a realistic exchange (30 ms, Upbit's 10 pages/s): 1,000 candles by
  count and a 3-day range backfill into an empty cache.

It uses only the seed's calls (plus ``response.candles`` when present), so the same
script measures an older checkout for the "now" column. CPU-bound figures are noisy on
a shared machine: compare ratios measured in one sitting.

    python -m bench candles [--quick]
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from backbone import MarketDataBackbone, Priority
from backbone.domain.models import Candle
from backbone.domain.timeframes import TIMEFRAMES
from backbone.sim import ExchangeSimulator
from backbone.storage import MarketStore
from bench.common import JITTER_MS, LATENCY_MS, SEED, own_process_load

MARKET = "KRW-BTC"
MINUTE = TIMEFRAMES["1m"]
FULL_DAYS = 90
QUICK_DAYS = 30
WRITE_CHUNK = 50_000


async def _fill(db: str, days: int) -> tuple[Any, Any]:
    """``days`` of synthetic 1m candles ending two days ago, stored with their coverage."""
    from backbone.domain.models import utc_now

    count = days * 1440
    end = TIMEFRAMES["1d"].floor(utc_now()) - timedelta(days=2)
    start = end - timedelta(minutes=count)
    rng = np.random.default_rng(SEED)
    close = 100_000_000 * np.exp(np.cumsum(rng.normal(0, 0.001, count)))
    async with MarketStore(db) as store:
        for first in range(0, count, WRITE_CHUNK):
            rows = []
            for i in range(first, min(first + WRITE_CHUNK, count)):
                price = float(close[i])
                when = start + timedelta(minutes=i)
                rows.append(Candle(MARKET, MINUTE, when, price, price * 1.001, price * 0.999, price,
                                   int(when.timestamp() * 1000) + 59_000, price * 2.0, 2.0))
            covered = (rows[0].start, rows[-1].start + timedelta(minutes=1))
            await store.write_candles(MARKET, MINUTE, rows, covered=covered)
    return start, end


async def _timed(action: Any, repeats: int) -> tuple[float, Any]:
    times = []
    result = None
    for _ in range(repeats):
        result = None  # the previous answer is freed outside the timing
        started = time.perf_counter()
        result = await action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


async def _warm(days: int, repeats: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"candles": days * 1440}
    with tempfile.TemporaryDirectory(prefix="bench-candles-") as folder:
        db = str(Path(folder) / "cache.sqlite")
        start, end = await _fill(db, days)
        # No warm-up: the stored candles need none of its data, and it would compete for the CPU.
        async with ExchangeSimulator(port=0, latency_ms=1.0, jitter_ms=0.0, seed=SEED, warm_up=False) as sim:
            async with MarketDataBackbone(sim.rest_url, sim.ws_url, db, load_sampler=own_process_load) as bb:
                calls = sim.stats.calls["candle"]

                async def get() -> Any:
                    return await bb.get_candle_data(MARKET, "1m", start_time=start, end_time=end)

                started = time.perf_counter()
                first = await get()
                has_columns = getattr(first, "candles", None) is not None
                figures["first_read_ms"] = (time.perf_counter() - started) * 1000
                assert first.success and first.metadata.data_count == days * 1440, first.error

                async def as_dicts() -> Any:
                    response = await get()
                    return response.data

                async def as_columns() -> Any:
                    return (await get()).candles

                async def as_frame() -> Any:
                    return (await get()).to_frame()

                figures["warm_dicts_ms"], data = await _timed(as_dicts, repeats)
                assert len(data) == days * 1440 and isinstance(data[0], dict)
                del data
                figures["warm_columns_ms"] = (await _timed(as_columns, repeats))[0] if has_columns else None
                figures["warm_frame_ms"], frame = await _timed(as_frame, repeats)
                assert len(frame) == days * 1440
                del frame
                figures["warm_calls"] = sim.stats.calls["candle"] - calls

                month_end = TIMEFRAMES["1d"].floor(end)
                month_start = month_end - timedelta(days=30)
                for code in ("1h", "1d"):
                    before = sim.stats.calls["candle"]
                    derived = await bb.get_candle_data(MARKET, code, start_time=month_start, end_time=month_end)
                    assert derived.success, derived.error
                    figures[f"month_{code}_calls"] = sim.stats.calls["candle"] - before
                    figures[f"month_{code}_candles"] = derived.metadata.data_count
    return figures


async def _cold(quick: bool) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    async with ExchangeSimulator(port=0, latency_ms=LATENCY_MS, jitter_ms=JITTER_MS, seed=SEED) as sim:
        with tempfile.TemporaryDirectory(prefix="bench-candles-cold-") as folder:
            async with MarketDataBackbone(
                sim.rest_url, sim.ws_url, str(Path(folder) / "a.sqlite"), load_sampler=own_process_load
            ) as bb:
                started = time.perf_counter()
                thousand = await bb.get_candle_data("KRW-ETH", "1m", count=1000)
                figures["cold_1000_ms"] = (time.perf_counter() - started) * 1000
                assert thousand.success and thousand.metadata.data_count == 1000, thousand.error
                end = MINUTE.floor(time_now()) - timedelta(hours=1)
                days = 1 if quick else 3
                started = time.perf_counter()
                backfill = await bb.get_candle_data(
                    "KRW-XRP", "1m", start_time=end - timedelta(days=days), end_time=end, priority=Priority.LOW
                )
                figures["cold_backfill_days"] = days
                figures["cold_backfill_s"] = time.perf_counter() - started
                figures["cold_backfill_calls"] = backfill.metadata.upstream_calls
                assert backfill.success, backfill.error
    return figures


def time_now() -> Any:
    from backbone.domain.models import utc_now

    return utc_now()


async def run(quick: bool = False) -> dict[str, Any]:
    """Every figure of this benchmark."""
    days = QUICK_DAYS if quick else FULL_DAYS
    figures = await _warm(days, repeats=3 if quick else 5)
    figures.update(await _cold(quick))
    return {key: round(value, 2) if isinstance(value, float) else value for key, value in figures.items()}


def print_figures(result: dict[str, Any]) -> None:
    """A readable table of ``run``'s figures."""
    n = result["candles"]
    columns = result.get("warm_columns_ms")
    print(f"{n:,} stored 1m candles, 0 exchange calls ({result['warm_calls']} made):")
    print(f"  first read after start (database)      {result['first_read_ms']:9.1f} ms")
    print(f"  warm re-read as the seed's dicts       {result['warm_dicts_ms']:9.1f} ms   (goal <= 150)")
    print(f"  warm re-read, response.candles         {columns if columns is None else f'{columns:9.1f}'} ms   (goal <= 30)")
    print(f"  warm re-read, to_frame()               {result['warm_frame_ms']:9.1f} ms   (goal <= 30)")
    print(f"1h over a stored month of 1m: {result['month_1h_calls']} calls ({result['month_1h_candles']} candles); "
          f"1d: {result['month_1d_calls']} calls ({result['month_1d_candles']} candles)")
    print(f"cold: 1,000 candles {result['cold_1000_ms']:.0f} ms; {result['cold_backfill_days']}-day backfill "
          f"{result['cold_backfill_s']:.2f} s in {result['cold_backfill_calls']} calls")
