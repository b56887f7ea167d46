"""Markets tab: every market the exchange lists, KRW first, with names, warnings and prices."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QWidget

from backbone import MarketDataBackbone, Priority
from ui.market_list_panel import MarketListPanel
from ui.models.favourites import Favourites
from ui.models.market_list import ALL_TAB, FAVOURITES_TAB, MARKET, MARKETS_COLUMNS, QUOTES

PRIORITY = Priority.NORMAL
"""Prices here are for reference; the Screener refreshes at HIGH."""


class MarketsPanel(MarketListPanel):
    """Lists ``list_markets()`` by quote currency with current prices; double-click opens a chart."""

    def __init__(
        self,
        backbone: MarketDataBackbone,
        parent: QWidget | None = None,
        *,
        favourites: Favourites | None = None,
        interval_s: float = 10.0,
    ) -> None:
        super().__init__(
            backbone,
            name="markets",
            columns=MARKETS_COLUMNS,
            tabs=(ALL_TAB, *QUOTES, FAVOURITES_TAB),
            priority=PRIORITY,
            interval_s=interval_s,
            sort=(MARKET, Qt.SortOrder.AscendingOrder),
            placeholder="Filter markets (code, Korean or English name)",
            favourites=favourites,
            parent=parent,
        )
