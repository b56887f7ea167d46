"""File → Export: screener and live bot write numbers, and an unwritable path is explained."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from PyQt6.QtWidgets import QMessageBox

from backbone import MarketDataBackbone
from tests.ui.conftest import app_window
from ui.livebot.panel import LiveBotPanel
from ui.screener.panel import ScreenerPanel


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


async def test_screener_export_holds_numbers_not_display_strings(
    qtbot: Any, backbone: MarketDataBackbone, tmp_path: Path
) -> None:
    window, panels = app_window(qtbot, backbone)
    screener = panels.widget("Screener")
    assert isinstance(screener, ScreenerPanel)
    assert await screener.refresh()
    path = tmp_path / "screener.csv"
    assert await window.export_to(path, screener.export_rows())
    rows = _read(path)
    assert len(rows) == screener.row_count() and rows[0]["market"].startswith("KRW-")
    shown_value = screener.proxy.index(0, screener.model.columns.index(next(
        c for c in screener.model.columns if c.title == "24h value"))).data()
    assert shown_value[-1] in "KMBT"  # the table abbreviates ...
    for row in rows:
        for field in ("price", "change_pct", "day_high", "day_low", "value_24h", "volume_24h"):
            float(row[field])  # ... the file holds plain numbers ("200760000000.0", not "200.76B")
        assert row["favourite"] in ("True", "False") and not row["change_pct"].endswith("%")
    assert f"Exported {len(rows)} rows" in window.statusBar().currentMessage()
    await panels.stop()


async def test_live_bot_export_holds_numbers(qtbot: Any, backbone: MarketDataBackbone) -> None:
    panel = LiveBotPanel(backbone, markets=("KRW-BTC", "KRW-ETH"), interval_s=0.2)
    qtbot.addWidget(panel)
    await panel.poll_once()
    await panel.poll_once()
    header, rows = panel.export_rows()
    assert [row[0] for row in rows] == ["KRW-BTC", "KRW-ETH"]
    for name in ("last_price", "short_ema", "pnl_krw", "request_ms", "request_p95_ms", "data_age_s"):
        values = [row[header.index(name)] for row in rows]
        assert all(isinstance(v, float) for v in values), (name, values)
    assert [row[header.index("requests")] for row in rows] == [2, 2]


async def test_an_unwritable_export_path_says_why_and_raises_nothing(
    qtbot: Any, backbone: MarketDataBackbone, tmp_path: Path
) -> None:
    window, _ = app_window(qtbot, backbone)
    missing = tmp_path / "no such folder" / "markets.csv"
    assert not await window.export_to(missing, (["market"], [["KRW-BTC"]]))
    box = window.findChild(QMessageBox, "exportError")
    assert box is not None and box.isVisible()
    assert box.text() == f"Could not export to {missing}: the folder {missing.parent} does not exist. Choose another file."
    assert "FileNotFoundError" not in box.text() and "does not exist" in window.statusBar().currentMessage()
    box.close()
    assert not await window.export_to(tmp_path, (["market"], [["KRW-BTC"]]))
    assert "that name is a folder" in window.statusBar().currentMessage()
    assert not missing.parent.exists()
