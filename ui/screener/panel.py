"""Screener panel (HIGH priority): markets by quote currency, refreshed every few seconds.

Calls on the backbone: ``list_markets(priority=HIGH)`` until it succeeds and
``get_ticker_data(<every listed market>, priority=HIGH)`` every ``interval_s``.
"""

from __future__ import annotations

from PyQt6 import QtCore, QtWidgets

from backbone import MarketDataBackbone, Priority
from ui.market_list_panel import MarketListPanel
from ui.models.favourites import Favourites
from ui.models.market_list import FAVOURITES_TAB, QUOTES, SCREENER_COLUMNS, VALUE_24H

PRIORITY = Priority.HIGH


class ScreenerPanel(MarketListPanel):
    """Sortable, filterable table of markets per quote tab; double-click opens a market."""

    def __init__(
        self,
        backbone: MarketDataBackbone,
        parent: QtWidgets.QWidget | None = None,
        *,
        favourites: Favourites | None = None,
        interval_s: float = 3.0,
    ) -> None:
        super().__init__(
            backbone,
            name="screener",
            columns=SCREENER_COLUMNS,
            tabs=(*QUOTES, FAVOURITES_TAB),
            priority=PRIORITY,
            interval_s=interval_s,
            sort=(VALUE_24H, QtCore.Qt.SortOrder.DescendingOrder),
            placeholder="Filter by market or name (BTC, 이더리움, Ethereum…)",
            favourites=favourites,
            parent=parent,
        )
