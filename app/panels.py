"""Builds the app's panels on one backbone and connects them to each other."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

from PyQt6.QtWidgets import QWidget

from backbone import MarketDataBackbone
from ui.backtest.panel import BacktestPanel
from ui.chart.chart_panel import ChartPanel
from ui.livebot.panel import LiveBotPanel
from ui.markets_panel import MarketsPanel
from ui.monitor.panel import SystemMonitorPanel
from ui.screener.panel import ScreenerPanel


@dataclass(slots=True)
class Panels:
    """The tabs in order, plus start/stop for their background work."""

    tabs: list[tuple[str, QWidget]] = field(default_factory=list)

    def widget(self, title: str) -> QWidget:
        return dict(self.tabs)[title]

    def start(self) -> None:
        """Let every panel begin loading (each schedules its own async work)."""
        for _, panel in self.tabs:
            for name in ("start", "refresh"):
                method = getattr(panel, name, None)
                if callable(method):
                    method()
                    break

    async def stop(self) -> None:
        """Stop timers and subscriptions before the backbone closes."""
        for _, panel in self.tabs:
            method = getattr(panel, "stop", None)
            if callable(method):
                result = method()
                if inspect.isawaitable(result):
                    await result


def build_panels(backbone: MarketDataBackbone) -> Panels:
    """Every tab, wired: double-clicking a market in a list opens it in the chart."""
    markets = MarketsPanel(backbone)
    chart = ChartPanel(backbone)
    screener = ScreenerPanel(backbone)
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
        tabs = chart.parentWidget()
        while tabs is not None and not hasattr(tabs, "setCurrentWidget"):
            tabs = tabs.parentWidget()
        if tabs is not None:
            tabs.setCurrentWidget(chart)

    markets.market_activated.connect(open_in_chart)
    screener.market_activated.connect(open_in_chart)
    return panels
