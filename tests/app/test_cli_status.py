"""``python main.py status`` in a fresh process: the exchange, its WebSocket and the stored
candles as that process finds them, labelled so, with no figures it cannot know."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main


def test_status_in_a_fresh_process_reports_what_it_can_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "desk.sqlite"
    monkeypatch.setenv("UPBIT_BACKBONE_DB", str(database))
    assert main(["--source", "sim", "fetch", "candles", "KRW-BTC", "1m", "--count", "300"]) == 0
    capsys.readouterr()

    env = {**os.environ, "UPBIT_BACKBONE_DB": str(database)}
    result = subprocess.run(
        [sys.executable, "main.py", "--source", "sim", "status"],
        capture_output=True, text=True, timeout=90, env=env, check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {"scope", "exchange", "websocket", "database", "ok"}
    assert "own process" in report["scope"] and "System monitor" in report["scope"]
    assert "metrics" not in result.stdout and "latency_by_path" not in result.stdout  # not knowable here

    exchange = report["exchange"]
    assert exchange["source"].startswith("SIMULATED DATA") and exchange["reachable"] is True
    assert exchange["round_trip_ms"] > 0
    budget = exchange["rate_budget_after_this_check"]
    assert budget["candle"]["limit_per_s"] == 10 and 0 < budget["market"]["available_now"] <= 10

    websocket = report["websocket"]
    assert websocket["reachable"] is True and websocket["first_update_ms"] > 0  # probed, not assumed

    stored = report["database"]
    assert stored["writable"] is True and stored["url"].endswith(str(database))
    assert stored["size_on_disk_bytes"] >= database.stat().st_size > 0
    assert stored["markets"] == 1 and stored["candles"] >= 300
    assert [(s["market"], s["timeframe"]) for s in stored["series"]] == [("KRW-BTC", "1m")]
    assert report["ok"] is True


def test_status_says_why_the_exchange_is_not_reachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("UPBIT_BACKBONE_DB", str(tmp_path / "desk.sqlite"))
    status = main(["--rest-url", "http://127.0.0.1:9/v1", "--ws-url", "ws://127.0.0.1:9/websocket/v1", "status"])
    report = json.loads(capsys.readouterr().out)
    assert status == 1 and report["ok"] is False
    assert report["exchange"]["reachable"] is False and report["exchange"]["error"]
    assert report["websocket"] == {"reachable": False, "error": "not tried: the exchange is unreachable"}
    assert report["database"]["writable"] is True
