"""Markets tab: every market the exchange lists, with names and warnings, filterable."""

from __future__ import annotations

import asyncio
from typing import Any

from PyQt6.QtCore import QSortFilterProxyModel, Qt, pyqtSignal
from PyQt6.QtGui import QStandardItem, QStandardItemModel
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QTableView, QVBoxLayout, QWidget

from backbone import MarketDataBackbone, Priority
from ui.export import model_rows
from ui.panel import ExportRows

COLUMNS = ("Market", "Korean name", "English name", "Quote", "Warning")


class MarketsPanel(QWidget):
    """Lists ``list_markets()`` as the exchange serves it; double-click opens a chart."""

    market_activated = pyqtSignal(str)

    def __init__(self, backbone: MarketDataBackbone, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._backbone = backbone
        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels(COLUMNS)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.doubleClicked.connect(self._activated)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter markets (code or name)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.status = QLabel("Loading markets…", self)
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.status)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table)
        self._task: asyncio.Task[None] | None = None

    def export_rows(self) -> ExportRows:
        """The markets as shown (sorted and filtered), for File → Export."""
        return model_rows(self.proxy)

    def is_ready(self) -> bool:
        """True once the market list is shown."""
        return self.model.rowCount() > 0

    def start(self) -> None:
        """Load the list (call once the loop runs)."""
        self.refresh()

    async def stop(self) -> None:
        """Cancel a load still under way."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def refresh(self) -> asyncio.Task[None]:
        """Reload the list from the exchange (in the background)."""
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self.load())
        return self._task

    async def load(self) -> None:
        """Fetch the market list through the backbone and show it."""
        response = await self._backbone.list_markets(priority=Priority.HIGH)
        if not response.success:
            self.status.setText(f"Could not load markets: {response.error}")
            self.status.setStyleSheet("color: #e0524c;")
            return
        self._show(response.data)
        quotes = sorted({row["market"].split("-", 1)[0] for row in response.data})
        self.status.setStyleSheet("")
        self.status.setText(f"{len(response.data)} markets ({', '.join(quotes)})")

    def row_count(self) -> int:
        """Rows currently shown (after the filter)."""
        return self.proxy.rowCount()

    def _show(self, rows: list[dict[str, Any]]) -> None:
        self.model.removeRows(0, self.model.rowCount())
        for row in rows:
            event = row.get("market_event") or {}
            caution = [name for name, on in (event.get("caution") or {}).items() if on]
            warning = "WARNING" if event.get("warning") else ", ".join(caution)
            items = [
                QStandardItem(row["market"]),
                QStandardItem(row["korean_name"]),
                QStandardItem(row["english_name"]),
                QStandardItem(row["market"].split("-", 1)[0]),
                QStandardItem(warning),
            ]
            self.model.appendRow(items)
        self.table.resizeColumnsToContents()

    def _activated(self, index: Any) -> None:
        source = self.proxy.mapToSource(index)
        self.market_activated.emit(self.model.item(source.row(), 0).text())
