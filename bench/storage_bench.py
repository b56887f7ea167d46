"""Storage benchmark: bulk candle writes and reads, missing() over a holey year, size on disk.

Runs on a fresh SQLite file, and on PostgreSQL when ``UPBIT_TEST_PG_URL`` (or
``UPBIT_BENCH_PG_URL``) names a server (``source .ci/postgres.sh`` starts one). On
PostgreSQL it writes under its own market code and deletes it afterwards.

    python -m bench.storage_bench [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from backbone.domain.models import Candle
from backbone.domain.timeframes import parse_timeframe
from backbone.storage import MarketStore

MINUTE = parse_timeframe("1m")
T0 = datetime(2023, 1, 1, tzinfo=UTC)
MARKET = "KRW-BENCHSTORE"
HOLES_MARKET = "KRW-BENCHHOLES"
FULL_ROWS = 129_600  # 90 days of one-minute candles
FULL_HOLES = 1_000
PAGE = 200  # Upbit's page size: how the coordinator writes


def synthetic_candles(count: int, origin: datetime = T0) -> list[Candle]:
    """A random-walk-ish series with distinct values in every field."""
    out: list[Candle] = []
    price = 50_000_000.0
    for i in range(count):
        start = origin + timedelta(minutes=i)
        price += ((i * 7919) % 201 - 100) * 10.0
        out.append(
            Candle(
                MARKET,
                MINUTE,
                start,
                price,
                price + 5_000.0,
                price - 5_000.0,
                price + 1_000.0,
                int(start.timestamp() * 1000) + 59_000,
                price * 0.25,
                0.25 + (i % 13) * 0.01,
            )
        )
    return out


class LoopLag:
    """Largest delay of a 1 ms heartbeat: how long the event loop was kept from running."""

    def __init__(self) -> None:
        self.max_ms = 0.0
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LoopLag:
        self._task = asyncio.create_task(self._beat())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass

    async def _beat(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            self.max_ms = max(self.max_ms, (time.perf_counter() - before) * 1000 - 1.0)


async def timed(
    action: Callable[[], Awaitable[Any]], repeats: int
) -> tuple[list[float], list[float], Any]:
    """Run ``action`` ``repeats`` times: wall times (ms), event loop lags (ms), last result.

    Each run gets its own heartbeat window, which stays open 50 ms after the call so a
    garbage collection the call set off is counted too. The previous result is dropped
    before the window opens: freeing it is the caller's cost, not the read's.
    """
    times: list[float] = []
    lags: list[float] = []
    result: Any = None
    for _ in range(repeats):
        result = None
        async with LoopLag() as lag:
            started = time.perf_counter()
            result = await action()
            times.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.05)
        lags.append(lag.max_ms)
    return times, lags, result


async def bench_backend(url: str, quick: bool) -> dict[str, Any]:
    rows = 21_600 if quick else FULL_ROWS
    holes = 100 if quick else FULL_HOLES
    repeats = 2 if quick else 5
    candles = synthetic_candles(rows)
    end = T0 + timedelta(minutes=rows)
    figures: dict[str, Any] = {"rows": rows}

    async with MarketStore(url) as store:
        for market in (MARKET, HOLES_MARKET):
            await store.delete_market(market)
        await store.vacuum()
        size_before = await store.database_size()

        async with LoopLag() as lag:
            started = time.perf_counter()
            await store.write_candles(MARKET, MINUTE, candles, covered=(T0, end))
            bulk_s = time.perf_counter() - started
        figures["write_bulk_rows_per_s"] = rows / bulk_s
        figures["write_bulk_loop_lag_max_ms"] = lag.max_ms

        await store.vacuum()
        size_after = await store.database_size()
        figures["bytes_per_candle"] = (size_after - size_before) / rows
        figures["mb_per_million_candles"] = figures["bytes_per_candle"] * 1e6 / 1e6

        started = time.perf_counter()
        for offset in range(0, rows, PAGE):
            lo = T0 + timedelta(minutes=offset)
            await store.write_candles(
                MARKET,
                MINUTE,
                candles[offset : offset + PAGE],
                covered=(lo, lo + timedelta(minutes=PAGE)),
            )
        paged_s = time.perf_counter() - started
        figures["write_paged_rows_per_s"] = rows / paged_s
        figures["write_page_ms"] = paged_s * 1000 / (rows / PAGE)

        def read_from_database() -> Any:
            store.hot.clear()  # every repeat goes to the database
            return store.read_candles(MARKET, MINUTE, T0, end)

        db_ms, db_lags, got = await timed(read_from_database, repeats)
        assert len(got) == rows and got.start_ms[0] == candles[0].start_ms
        assert got.close[-1] == candles[-1].close
        del got
        figures["read_db_ms_median"] = statistics.median(db_ms)
        figures["read_db_ms_best"] = min(db_ms)
        figures["read_db_loop_lag_median_ms"] = statistics.median(db_lags)
        figures["read_db_loop_lag_max_ms"] = max(db_lags)

        hot_ms, hot_lags, hot = await timed(
            lambda: store.read_candles(MARKET, MINUTE, T0, end), repeats
        )
        assert len(hot) == rows
        figures["read_hot_ms_median"] = statistics.median(hot_ms)
        figures["read_hot_ms_best"] = min(hot_ms)
        figures["read_hot_loop_lag_max_ms"] = max(hot_lags)

        # A year of one-minute coverage with `holes` gaps: holes+1 covered stretches.
        year_end = T0 + timedelta(days=365)
        stretch = (year_end - T0) // (holes + 1)
        started = time.perf_counter()
        for i in range(holes + 1):
            lo = MINUTE.floor(T0 + stretch * i)
            hi = MINUTE.floor(T0 + stretch * (i + 1)) - timedelta(minutes=1)
            if i == holes:
                hi = year_end  # the last stretch runs to the end: exactly `holes` gaps
            await store.write_candles(HOLES_MARKET, MINUTE, [], covered=(lo, hi))
        figures["coverage_write_ms"] = (time.perf_counter() - started) * 1000 / (holes + 1)
        missing_ms, _, gaps = await timed(
            lambda: store.missing(HOLES_MARKET, MINUTE, T0, year_end), repeats
        )
        assert len(gaps) == holes, len(gaps)
        figures["missing_year_ms_median"] = statistics.median(missing_ms)
        figures["missing_gaps"] = len(gaps)

        for market in (MARKET, HOLES_MARKET):
            await store.delete_market(market)
    return figures


async def run(quick: bool = False) -> dict[str, Any]:
    """Measure SQLite (always) and PostgreSQL (when a server URL is set)."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="storage-bench-") as folder:
        results["sqlite"] = await bench_backend(str(Path(folder) / "bench.sqlite3"), quick)
    pg_url = os.environ.get("UPBIT_BENCH_PG_URL") or os.environ.get("UPBIT_TEST_PG_URL")
    if pg_url:
        results["postgresql"] = await bench_backend(pg_url, quick)
    else:
        results["postgresql"] = {
            "skipped": "set UPBIT_TEST_PG_URL (source .ci/postgres.sh) to include it"
        }
    return results


ROWS = [
    ("rows", "candles written and read", "{:,.0f}"),
    ("write_bulk_rows_per_s", "write, one bulk call (rows/s)", "{:,.0f}"),
    ("write_bulk_loop_lag_max_ms", "  event loop held up (ms, worst)", "{:.0f}"),
    ("write_paged_rows_per_s", "write, 200-row pages + coverage (rows/s)", "{:,.0f}"),
    ("write_page_ms", "  per 200-row page (ms)", "{:.2f}"),
    ("read_db_ms_median", "read CandleColumns from the database (ms, median)", "{:.0f}"),
    ("read_db_ms_best", "read CandleColumns from the database (ms, best)", "{:.0f}"),
    ("read_db_loop_lag_median_ms", "  event loop held up (ms, median)", "{:.0f}"),
    ("read_db_loop_lag_max_ms", "  event loop held up (ms, worst)", "{:.0f}"),
    ("read_hot_ms_median", "re-read a complete span held in memory (ms, median)", "{:.2f}"),
    ("read_hot_ms_best", "re-read a complete span held in memory (ms, best)", "{:.2f}"),
    ("read_hot_loop_lag_max_ms", "  event loop held up (ms, worst)", "{:.0f}"),
    ("coverage_write_ms", "record one coverage range (ms)", "{:.2f}"),
    ("missing_year_ms_median", "missing() on a year, 1,000 holes (ms)", "{:.2f}"),
    ("missing_gaps", "  gaps returned", "{:,.0f}"),
    ("bytes_per_candle", "size per candle (bytes)", "{:.0f}"),
    ("mb_per_million_candles", "size per million candles (MB)", "{:.0f}"),
]


def print_table(results: dict[str, Any]) -> None:
    backends = list(results)
    print(f"{'storage benchmark':45}" + "".join(f"{name:>14}" for name in backends))
    for key, label, fmt in ROWS:
        cells = []
        for name in backends:
            value = results[name].get(key)
            cells.append(f"{fmt.format(value) if value is not None else '-':>14}")
        print(f"{label:45}" + "".join(cells))
    for name in backends:
        if "skipped" in results[name]:
            print(f"{name}: skipped ({results[name]['skipped']})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run for a smoke test")
    print_table(asyncio.run(run(quick=parser.parse_args().quick)))
