"""Screener panel (HIGH priority): every KRW market, refreshed every few seconds.

Calls on the backbone: ``list_markets(quote="KRW", priority=HIGH)`` once and
``get_ticker_data(<all KRW markets>, priority=HIGH)`` every ``interval_s``.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PyQt6 import QtCore, QtWidgets

from backbone import Priority
from ui.chart.time_axis import KST
from ui.export import model_rows
from ui.panel import ExportRows
from ui.screener.model import COL_NAME, COL_VALUE, ScreenerFilter, ScreenerModel
from ui.tasks import TaskSet
from ui.widgets import InlineMessage

if TYPE_CHECKING:
    from backbone import MarketDataBackbone

PRIORITY = Priority.HIGH


class ScreenerPanel(QtWidgets.QWidget):
    """Sortable, filterable table of KRW markets; double-click opens a market."""

    market_activated = QtCore.pyqtSignal(str)
    refreshed = QtCore.pyqtSignal(int)  # rows changed by the last refresh

    def __init__(
        self,
        backbone: MarketDataBackbone,
        parent: QtWidgets.QWidget | None = None,
        *,
        quote: str = "KRW",
        interval_s: float = 3.0,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("screenerPanel")
        self.backbone = backbone
        self.quote = quote
        self.interval_s = interval_s
        self.tasks = TaskSet("screener", on_error=lambda e: self.message.show_error(f"Screener error: {e}"))
        self.refreshes = 0

        self.model = ScreenerModel(self)
        self.proxy = ScreenerFilter(self)
        self.proxy.setSourceModel(self.model)
        self.filter_box = QtWidgets.QLineEdit(self)
        self.filter_box.setPlaceholderText("Filter by market or name (BTC, 이더리움…)")
        self.filter_box.setClearButtonEnabled(True)
        self.filter_box.textChanged.connect(self.proxy.set_text)
        self.table = QtWidgets.QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_VALUE, QtCore.Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_NAME, QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(self._activated)
        self.status = QtWidgets.QLabel("Loading markets…", self)
        self.status.setObjectName("screenerStatus")
        self.message = InlineMessage(self)

        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.filter_box, 1)
        top.addWidget(self.status)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)

    def export_rows(self) -> ExportRows:
        """The screener as shown (sorted and filtered), for File → Export."""
        return model_rows(self.proxy)

    def is_ready(self) -> bool:
        """True once prices have arrived."""
        return self.refreshes > 0

    def start(self) -> None:
        """Begin refreshing (call once the loop runs)."""
        self.tasks.start(self._run(), "refresh")

    async def stop(self) -> None:
        """Stop refreshing and wait for the work to unwind."""
        await self.tasks.wait_cancelled()

    def closeEvent(self, event: Any) -> None:
        self.tasks.cancel_all()
        super().closeEvent(event)

    async def load_markets(self) -> bool:
        """Fill the rows from the market list. True on success."""
        response = await self.backbone.list_markets(quote=self.quote, priority=PRIORITY)
        if not response.success:
            self.message.show_error(f"Could not load the market list: {response.error}")
            return False
        self.model.set_markets(response.data)
        return True

    async def refresh(self) -> bool:
        """One ticker refresh of every row, in place. True on success."""
        markets = self.model.markets()
        if not markets:
            return False
        started = time.perf_counter()
        response = await self.backbone.get_ticker_data(markets, priority=PRIORITY)
        if not response.success:
            self.message.show_error(f"Refresh failed: {response.error}")
            return False
        changed = self.model.update_tickers(response.data)
        self.refreshes += 1
        elapsed = (time.perf_counter() - started) * 1000
        now = datetime.now(KST).strftime("%H:%M:%S KST")
        self.status.setText(f"{self.model.rowCount()} markets · updated {now} · {elapsed:.0f} ms")
        self.message.clear_message()
        self.refreshed.emit(changed)
        return True

    async def _run(self) -> None:
        loaded = False
        while True:
            # Until the market list arrives, retry it; afterwards refresh the rows.
            loaded = loaded or await self.load_markets()
            if loaded:
                await self.refresh()
            await asyncio.sleep(self.interval_s)

    def _activated(self, index: QtCore.QModelIndex) -> None:
        source = self.proxy.mapToSource(index)
        if source.isValid():
            self.market_activated.emit(self.model.market_at(source.row()))
