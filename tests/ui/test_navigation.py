"""The shell: every tab keeps the Panel protocol, and opening a market moves the tab bar too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PyQt6.QtCore import QSettings, Qt
from PyQt6.QtGui import QKeySequence
from PyQt6.QtWidgets import QWidget

from app.panels import Panels, build_panels
from backbone import MarketDataBackbone
from tests.ui.conftest import app_window, wait_until
from ui.chart.chart_panel import ChartPanel
from ui.main_window import MainWindow
from ui.markets_panel import MarketsPanel
from ui.models.market_list import MARKET
from ui.panel import Panel
from ui.screener.panel import ScreenerPanel


def test_a_widget_without_the_panel_protocol_is_refused_when_the_app_is_built(qtbot: Any) -> None:
    bare = QWidget()
    qtbot.addWidget(bare)
    with pytest.raises(TypeError, match=r"'Notes'.*lacks start, stop, is_ready, export_rows"):
        Panels([("Notes", bare)])


async def test_every_tab_keeps_the_panel_protocol(qtbot: Any, backbone: MarketDataBackbone) -> None:
    panels = build_panels(backbone)
    for title, widget in panels.tabs:
        qtbot.addWidget(widget)
        assert isinstance(widget, Panel), title
    assert panels.panel(5).export_rows() is None  # the system monitor has only live plots


def _shortcut(window: MainWindow, keys: str) -> Any:
    wanted = QKeySequence(keys)
    return next(a for a in window.findChildren(type(window.menuBar().actions()[0])) if a.shortcut() == wanted)


@pytest.mark.parametrize("source_tab", ["Markets", "Screener"])
async def test_double_clicking_a_market_selects_the_chart_tab_and_tabs_still_switch(
    qtbot: Any, backbone: MarketDataBackbone, tmp_path: Path, source_tab: str
) -> None:
    window, panels = app_window(qtbot, backbone, QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    lists = panels.widget(source_tab)
    assert isinstance(lists, MarketsPanel | ScreenerPanel)
    window.tabs.setCurrentWidget(lists)
    if isinstance(lists, MarketsPanel):
        await lists.refresh()
    else:
        assert await lists.load_markets()
    table = lists.table
    market = lists.shown_markets()[0]
    index = table.model().index(0, lists.model.columns.index(MARKET))
    assert index.data() == market
    rect = table.visualRect(index)
    # A real double-click is a press, release and double-click event on the same cell.
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    chart = panels.widget("Chart")
    assert isinstance(chart, ChartPanel)
    try:
        await wait_until(lambda: chart.market == market)
        assert window.tabs.currentIndex() == 1
        assert window.tabs.tabBar().currentIndex() == 1
        assert window.tabs.currentWidget() is chart and chart.isVisible()
        # Ctrl+1 and a click on a tab now switch, as they did before the double-click.
        _shortcut(window, "Ctrl+1").trigger()
        assert window.tabs.currentWidget() is panels.widget("Markets")
        bar = window.tabs.tabBar()
        qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(2).center())
        assert window.tabs.currentWidget() is panels.widget("Screener")
    finally:
        await panels.stop()
