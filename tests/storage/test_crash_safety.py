"""A writer killed with SIGKILL mid-write leaves a SQLite file that is whole and honest."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from backbone.storage import MarketStore
from tests.storage.conftest import MINUTE, T0, minutes

ROOT = Path(__file__).resolve().parents[2]
PAGE = 20_000  # big pages: a kill almost always lands inside a transaction


async def run_writer_then_kill(path: Path, pages_before_kill: int, extra_delay_s: float) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.storage.crash_writer",
        str(path),
        str(PAGE),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    try:
        for _ in range(pages_before_kill):
            line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
            assert line.startswith(b"committed"), line
        await asyncio.sleep(extra_delay_s)
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()
    assert process.returncode == -signal.SIGKILL


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
async def test_sigkill_during_bulk_writes_leaves_a_consistent_database(tmp_path: Path) -> None:
    path = tmp_path / "crash.sqlite3"
    # Several kills at different moments; the file must survive each and keep growing.
    previous = 0
    for pages, delay in ((1, 0.05), (1, 0.13), (2, 0.02)):
        await run_writer_then_kill(path, pages, delay)

        with sqlite3.connect(path) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)

        async with MarketStore(path) as store:
            ranges = await store.covered_ranges("KRW-BTC", MINUTE)
            rows = await store.read_candles("KRW-BTC", MINUTE, T0, T0 + minutes(10**7))
        # The writer stores a candle for every minute it covers, and nothing else: any
        # candle outside coverage, or coverage without its candles, means a torn write.
        assert len(ranges) == 1 and ranges[0][0] == T0
        covered_minutes = (ranges[0][1] - T0) // minutes(1)
        assert covered_minutes % PAGE == 0 and covered_minutes >= previous + pages * PAGE
        previous = covered_minutes
        assert len(rows) == covered_minutes
        assert int(rows.start_ms[-1]) == int((T0 + minutes(covered_minutes - 1)).timestamp() * 1000)
