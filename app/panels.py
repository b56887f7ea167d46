"""Builds the app's panels on one backbone and connects them to each other."""

from __future__ import annotations

from dataclasses import dataclass, field

from PyQt6.QtCore import QSettings
from PyQt6.QtWidgets import QTabWidget, QWidget

from backbone import MarketDataBackbone
from ui.backtest.panel import BacktestPanel
from ui.chart.chart_panel import ChartPanel
from ui.livebot.panel import LiveBotPanel
from ui.markets_panel import MarketsPanel
from ui.models.favourites import Favourites
from ui.monitor.panel import SystemMonitorPanel
from ui.panel import Panel, require_panel
from ui.screener.panel import ScreenerPanel


@dataclass(slots=True)
class Panels:
    """The tabs in order, plus start/stop for their background work.

    Every tab must keep the :class:`ui.panel.Panel` protocol; a widget that does not is
    refused here, when the app is put together, rather than skipped at run time.
    """

    tabs: list[tuple[str, QWidget]] = field(default_factory=list)
    _panels: list[Panel] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self._panels = [require_panel(title, widget) for title, widget in self.tabs]

    def widget(self, title: str) -> QWidget:
        return dict(self.tabs)[title]

    def panel(self, index: int) -> Panel:
        """The panel of the tab at ``index``."""
        return self._panels[index]

    def start(self) -> None:
        """Let every panel begin loading (each schedules its own async work)."""
        for panel in self._panels:
            panel.start()

    async def stop(self) -> None:
        """Stop timers and subscriptions before the backbone closes."""
        for panel in self._panels:
            await panel.stop()


def show_in_tabs(widget: QWidget) -> None:
    """Bring ``widget`` to the front of the QTabWidget holding it, so the tab bar follows."""
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QTabWidget):
        parent = parent.parentWidget()
    if parent is not None:
        parent.setCurrentWidget(widget)


def build_panels(
    backbone: MarketDataBackbone, favourites: Favourites | None = None, settings: QSettings | None = None
) -> Panels:
    """Every tab, wired: double-clicking a market in a list opens it in the chart, and the
    lists share one set of ``favourites`` (remembered where its store keeps it); the chart
    remembers each market's state in ``settings``."""
    favourites = favourites if favourites is not None else Favourites()
    markets = MarketsPanel(backbone, favourites=favourites)
    chart = ChartPanel(backbone, settings=settings)
    screener = ScreenerPanel(backbone, favourites=favourites)
    backtest = BacktestPanel(backbone)
    livebot = LiveBotPanel(backbone)
    monitor = SystemMonitorPanel(backbone)
    panels = Panels(
        [
            ("Markets", markets),
            ("Chart", chart),
            ("Screener", screener),
            ("Backtest", backtest),
            ("Live bot", livebot),
            ("System monitor", monitor),
        ]
    )

    def open_in_chart(market: str) -> None:
        chart.show_market(market)
        show_in_tabs(chart)

    markets.market_activated.connect(open_in_chart)
    screener.market_activated.connect(open_in_chart)
    return panels
