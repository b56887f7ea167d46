"""Crash test: SIGKILL a backfill process midway, restart it, and check that it resumes.

The backfill is the app itself, ``python main.py --rest-url ... backfill``
(LOW priority, progress on stderr), against a simulator served by this process, so the data is identical across the restart and the
calls of each run are counted at the simulator. After the kill:

* the SQLite file passes ``PRAGMA integrity_check`` and opens;
* the second run asks the exchange only for the missing pages (at most one
  more than storage reports missing, for a page cut by the kill);
* the finished range equals the simulator's truth, nothing missing or doubled.

    python -m bench crash      (or python -m bench.crash)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from backbone.router.endpoints import MAX_CANDLE_COUNT as PAGE_SIZE
from backbone.sim import ExchangeSimulator
from backbone.storage import MarketStore
from bench.common import MINUTE, history_range, pages_for
from bench.truth import check_candles

PAGES_LINE = re.compile(rb"(\d+)/(\d+) pages")
MARKET = "KRW-BTC"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def child_command(rest_url: str, ws_url: str, db: str, start: datetime, end: datetime) -> list[str]:
    """The app's own backfill command, pointed at ``rest_url``/``ws_url`` and the database ``db``."""
    return [sys.executable, "main.py", "--rest-url", rest_url, "--ws-url", ws_url, "--db", db,
            "backfill", MARKET, "1m", "--start", start.isoformat(), "--end", end.isoformat()]


async def _run_until(command: list[str], kill_at_pages: int | None, timeout_s: float) -> tuple[int | None, int, bool]:
    """Run the backfill; SIGKILL it once it reports ``kill_at_pages`` pages. (returncode, pages seen, killed)."""
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stderr is not None
    pages, killed = 0, False
    buffer = b""
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                chunk = await process.stderr.read(256)
                if not chunk:
                    break
                buffer = (buffer + chunk)[-512:]
                found = PAGES_LINE.findall(buffer)
                if found:
                    pages = max(pages, int(found[-1][0]))
                if kill_at_pages is not None and pages >= kill_at_pages and not killed:
                    process.send_signal(signal.SIGKILL)
                    killed = True
            await process.wait()
    except TimeoutError:
        process.kill()
        await process.wait()
    return process.returncode, pages, killed


async def _missing_pages(db: str, start: datetime, end: datetime) -> tuple[int, int]:
    store = MarketStore(db)
    await store.open()
    try:
        gaps = await store.missing(MARKET, MINUTE, start, end)
        stored = len(await store.read_candles(MARKET, MINUTE, start, end))
    finally:
        await store.close()
    pages = sum(-(-MINUTE.count_between(a, b) // PAGE_SIZE) for a, b in gaps)
    return pages, stored


async def crash_and_resume(sim: ExchangeSimulator, folder: Path, *, days: float = 3.0, kill_at_pages: int = 5) -> dict[str, Any]:
    """One kill-and-restart cycle against ``sim``; figures and ``passed``."""
    db = str(folder / "crash.sqlite")
    start, end = history_range(days)
    total_pages = pages_for(start, end)
    command = child_command(sim.rest_url, sim.ws_url, db, start, end)
    before = sim.stats.calls["candle"]
    code, seen, killed = await _run_until(command, kill_at_pages, timeout_s=120)
    first_calls = sim.stats.calls["candle"] - before
    with sqlite3.connect(db) as connection:
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
    missing_pages, stored_after_kill = await _missing_pages(db, start, end)
    await asyncio.sleep(1.1)  # the killed process's calls leave the rate window
    before = sim.stats.calls["candle"]
    asked_at = int(datetime.now(UTC).timestamp() * 1000)
    second_code, _, _ = await _run_until(command, None, timeout_s=180)
    second_calls = sim.stats.calls["candle"] - before
    store = MarketStore(db)
    await store.open()
    try:
        final = (await store.read_candles(MARKET, MINUTE, start, end)).to_upbit()
        still_missing = await store.missing(MARKET, MINUTE, start, end)
    finally:
        await store.close()
    span = (int(start.timestamp() * 1000), int(end.timestamp() * 1000))
    problems = check_candles(sim, MARKET, "1m", final, asked_at_ms=asked_at, range_ms=span)
    resumed = 0 < missing_pages < total_pages and second_calls <= missing_pages + 1
    passed = bool(killed and integrity == "ok" and second_code == 0 and resumed and not problems and not still_missing)
    return {
        "passed": passed, "days": days, "pages_total": total_pages, "killed": killed, "kill_returncode": code,
        "pages_reported_before_kill": seen, "calls_before_kill": first_calls, "candles_stored_at_kill": stored_after_kill,
        "integrity_check": integrity, "pages_missing_after_kill": missing_pages, "calls_second_run": second_calls,
        "second_run_returncode": second_code, "candles_final": len(final), "gaps_after_resume": len(still_missing),
        "problems": problems,
    }


async def run(quick: bool = False) -> dict[str, Any]:
    """The crash test with a realistic 30 ms exchange; figures and ``passed``."""
    with tempfile.TemporaryDirectory(prefix="bench-crash-") as folder:
        async with ExchangeSimulator(port=0, latency_ms=30.0, jitter_ms=5.0) as sim:
            started = time.perf_counter()
            result = await crash_and_resume(sim, Path(folder), days=3.0 if quick else 7.0, kill_at_pages=5)
            result["wall_s"] = round(time.perf_counter() - started, 1)
    return result


def print_figures(result: dict[str, Any]) -> None:
    """A readable account of the crash test."""
    print(f"crash test: {'PASS' if result['passed'] else 'FAIL'}; {result['pages_total']} pages in all, killed after "
          f"{result['pages_reported_before_kill']} reported ({result['calls_before_kill']} calls, "
          f"{result['candles_stored_at_kill']} candles stored); integrity {result['integrity_check']}; "
          f"{result['pages_missing_after_kill']} pages missing -> second run made {result['calls_second_run']} calls; "
          f"final {result['candles_final']} candles, gaps {result['gaps_after_resume']}, problems {result['problems'] or 'none'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 days instead of 7")
    arguments = parser.parse_args()
    print_figures(asyncio.run(run(quick=arguments.quick)))
