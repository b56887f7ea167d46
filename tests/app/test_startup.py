"""Start-up with a database that cannot be opened, and the settings dialog that fixes it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PyQt6.QtCore import QSettings
from PyQt6.QtWidgets import QFileDialog, QMessageBox

from app.session import AppSession, open_session
from app.settings import AppSettings
from app.source import DataSource, open_source
from backbone.sim import ExchangeSimulator
from ui.settings_dialog import SettingsDialog

UNREACHABLE_PG = "postgresql+asyncpg://trader@127.0.0.1:1/market"


@pytest.fixture
async def sim_source(simulator: ExchangeSimulator) -> AsyncIterator[DataSource]:
    yield await open_source("url", rest_url=simulator.rest_url, ws_url=simulator.ws_url)


@pytest.fixture
def default_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where "the default database" is for this test."""
    path = tmp_path / "default.sqlite"
    monkeypatch.setenv("UPBIT_BACKBONE_DB", str(path))
    return path


def _store(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


async def _open(qtbot: Any, source: DataSource, settings: AppSettings, store: QSettings) -> AppSession:
    session = await open_session(source, settings, store)
    qtbot.addWidget(session.window)
    return session


@pytest.mark.parametrize(
    ("db_url", "reason"),
    [
        (UNREACHABLE_PG, "could not open the database"),
        ("postgresql+asyncpg://trader:hunter2@127.0.0.1:1/market", "could not open the database"),
        ("mysql://trader@db/market", "is not supported"),
    ],
)
async def test_a_database_that_cannot_be_opened_falls_back_to_the_default_file_and_says_so(
    qtbot: Any, sim_source: DataSource, default_db: Path, tmp_path: Path, db_url: str, reason: str
) -> None:
    store = _store(tmp_path)
    session = await _open(qtbot, sim_source, AppSettings(db_url=db_url), store)
    try:
        box = session.window.findChild(QMessageBox, "databaseProblem")
        assert box is not None and box.isVisible()
        shown = db_url.replace(":hunter2@", ":***@")  # a password is never shown
        assert f"The database {shown!r} could not be used: " in box.text() and reason in box.text()
        assert "hunter2" not in box.text()
        assert "default database file instead" in box.text()
        assert "using the default file" in session.window.statusBar().currentMessage()
        assert await asyncio.to_thread(default_db.exists)  # the session really runs on the default file
        markets = await session.backbone.list_markets()
        assert markets.success

        # The box's button opens Settings on the bad value; clearing it is saved for next time.
        fix = next(b for b in box.buttons() if b.text() == "Open Settings…")
        fix.click()
        dialog = session.window.findChild(SettingsDialog, "settingsDialog")
        assert dialog is not None and dialog.isVisible() and dialog.db_url.text() == db_url
        dialog.db_url.clear()
        dialog.accept()
        assert AppSettings.load(_store(tmp_path)).db_url == ""
    finally:
        await session.close()


async def test_settings_apply_load_limits_at_once_and_browse_fills_the_database_field(
    qtbot: Any, sim_source: DataSource, default_db: Path, tmp_path: Path
) -> None:
    session = await _open(qtbot, sim_source, AppSettings(), _store(tmp_path))
    try:
        assert session.window.findChild(QMessageBox, "databaseProblem") is None
        dialog = session.edit_settings()
        assert "Load limits and theme apply at once" in dialog.note.text()
        assert "database take effect at the next start" in dialog.note.text()
        dialog.browse.click()
        chooser = dialog.findChild(QFileDialog, "databaseFileDialog")
        assert chooser is not None and chooser.isVisible()
        chosen = tmp_path / "desk cache.sqlite"
        chooser.selectFile(str(chosen))
        chooser.accept()
        assert dialog.db_url.text() == str(chosen)
        dialog.cpu.setValue(55)
        dialog.memory.setValue(65)
        dialog.accept()
        thresholds = session.backbone.load_guard.thresholds
        assert (thresholds.cpu_percent, thresholds.memory_percent) == (55, 65)
        saved = AppSettings.load(_store(tmp_path))
        assert saved.db_url == str(chosen) and saved.cpu_limit_percent == 55
    finally:
        await session.close()


def test_a_bad_db_argument_opens_the_app_without_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "UPBIT_BACKBONE_DB": str(tmp_path / "app.sqlite"),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    result = subprocess.run(
        [sys.executable, "main.py", "--source", "sim", "--db", UNREACHABLE_PG, "--exit-after", "4"],
        capture_output=True, text=True, timeout=90, env=env, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "unhandled error" not in result.stderr, result.stderr
    assert f"The database {UNREACHABLE_PG!r} could not be used: could not open the database" in result.stderr
