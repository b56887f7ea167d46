"""SIGKILL the app (`main.py backfill`) midway and restart it: the database is intact and only missing pages are fetched."""

from __future__ import annotations

from pathlib import Path

import pytest

from backbone.sim import ExchangeSimulator
from bench.crash import crash_and_resume


@pytest.mark.timeout(300)
async def test_backfill_survives_sigkill_and_resumes(make_simulator, tmp_path: Path) -> None:
    # 30 ms answers so the kill lands between pages; the simulator lives in this
    # process, so both runs see the same data and their calls are counted here.
    sim: ExchangeSimulator = await make_simulator(latency_ms=30.0, jitter_ms=5.0)
    result = await crash_and_resume(sim, tmp_path, days=3.0, kill_at_pages=5)
    assert result["killed"], result
    assert result["integrity_check"] == "ok"
    assert 0 < result["pages_missing_after_kill"] < result["pages_total"], result
    # a restart fetches what is missing (one extra page at most, cut by the kill), not everything
    assert result["calls_second_run"] <= result["pages_missing_after_kill"] + 1, result
    assert result["calls_second_run"] < result["pages_total"], result
    assert result["second_run_returncode"] == 0
    assert result["gaps_after_resume"] == 0
    assert result["problems"] == []
    assert result["passed"]
