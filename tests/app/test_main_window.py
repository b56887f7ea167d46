"""The app's first window: simulated source in the status bar, the exchange's markets in the first tab."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QSettings

from app.panels import build_panels
from app.source import open_source
from backbone import MarketDataBackbone
from ui.export import write_csv
from ui.main_window import MainWindow
from ui.markets_panel import MarketsPanel


async def test_window_shows_simulated_source_and_lists_markets_over_http(qtbot: Any, tmp_path: Path) -> None:
    source = await open_source("sim")
    try:
        assert source.simulator is not None
        backbone = MarketDataBackbone(source.rest_url, source.ws_url, str(tmp_path / "app.sqlite"))
        await backbone.start()
        try:
            panels = build_panels(backbone)
            settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
            window = MainWindow(backbone, source.label, panels.tabs, settings=settings)
            qtbot.addWidget(window)
            window.show()
            assert "SIMULATED DATA" in window.source_label.text()
            assert source.rest_url in window.source_label.text()
            markets = panels.tabs[0][1]
            assert isinstance(markets, MarketsPanel)
            calls_before = source.simulator.stats.calls["market"]
            await markets.refresh()
            expected = source.simulator.market_codes()
            assert markets.row_count() == len(expected)
            assert set(markets.shown_markets()) == set(expected)
            assert source.simulator.stats.calls["market"] >= calls_before
            markets.filter_box.setText("KRW-BTC")
            assert markets.row_count() == 1
            header, rows = markets.export_rows()
            assert header[1] == "market" and len(rows) == 1 and rows[0][1] == "KRW-BTC"
            markets.filter_box.setText("")
            exported = tmp_path / "markets.csv"
            assert write_csv(exported, *markets.export_rows()) == len(expected)
            assert len(exported.read_text(encoding="utf-8").splitlines()) == len(expected) + 1
            window.refresh_status()
            assert "WebSocket" in window.ws_label.text()
            await panels.stop()
            window.close()
            await asyncio.sleep(0)
        finally:
            await backbone.stop()
    finally:
        await source.close()


def test_settings_dialog_persists_a_change(qtbot: Any, tmp_path: Path) -> None:
    from app.settings import AppSettings
    from ui.settings_dialog import SettingsDialog

    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings = AppSettings.load(store)
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.cpu.setValue(55)
    dialog.theme.setCurrentText("light")
    dialog.accept()
    settings.save(store)
    again = AppSettings.load(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    assert again.cpu_limit_percent == 55 and again.theme == "light"


def test_the_app_opens_and_closes_cleanly(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "UPBIT_BACKBONE_DB": str(tmp_path / "app.sqlite")}
    result = subprocess.run(
        [sys.executable, "main.py", "--source", "sim", "--exit-after", "4"],
        capture_output=True, text=True, timeout=90, env=env, check=False,
    )
    # Closing the window shuts the backbone down before the loop stops: no error, status 0.
    assert result.returncode == 0, result.stderr
    assert "unhandled error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
