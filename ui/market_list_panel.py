"""The widget under the Markets and Screener tabs: quote tabs, a search box and a market table.

It renders a ``MarketRows`` model that a ``MarketListPresenter`` keeps filled; the
star column toggles a favourite, double-clicking a row opens the market.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from PyQt6 import QtCore, QtWidgets

from backbone import MarketDataBackbone, Priority
from ui.chart.time_axis import KST
from ui.market_table import MarketTableFilter, MarketTableModel, TraderSortArrows
from ui.models.favourites import Favourites
from ui.models.market_list import Column, Kind, MarketRows, RowFilter, export_table, quote_rank
from ui.panel import ExportRows
from ui.presenters.market_list import MarketListPresenter
from ui.tasks import TaskSet
from ui.widgets import InlineMessage


class MarketListPanel(QtWidgets.QWidget):
    """A sortable, filterable table of markets, kept fresh by its presenter."""

    market_activated = QtCore.pyqtSignal(str)
    refreshed = QtCore.pyqtSignal(int)  # rows changed by the last refresh

    def __init__(
        self,
        backbone: MarketDataBackbone,
        *,
        name: str,
        columns: Sequence[Column],
        tabs: Sequence[str],
        priority: Priority,
        interval_s: float,
        sort: tuple[Column, QtCore.Qt.SortOrder],
        placeholder: str,
        favourites: Favourites | None = None,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"{name}Panel")
        self.favourites = favourites if favourites is not None else Favourites()
        self.rows = MarketRows()
        self.presenter = MarketListPresenter(backbone, self.rows, self, priority, interval_s)
        self.tasks = TaskSet(name, on_error=lambda e: self.message.show_error(f"{name.title()} error: {e}"))

        self.model = MarketTableModel(self.rows, columns, self.favourites, self)
        self.proxy = MarketTableFilter(self.model, self)
        self.quote_tabs = QtWidgets.QTabBar(self)
        self.quote_tabs.setObjectName("quoteTabs")
        self.quote_tabs.setDrawBase(False)
        for title in tabs:
            self.quote_tabs.addTab(title)
        self.quote_tabs.currentChanged.connect(self._apply_filter)
        self.filter_box = QtWidgets.QLineEdit(self)
        self.filter_box.setPlaceholderText(placeholder)
        self.filter_box.setClearButtonEnabled(True)
        self.filter_box.textChanged.connect(self._apply_filter)

        self.table = QtWidgets.QTableView(self)
        self.table.setModel(self.proxy)
        header = self.table.horizontalHeader()
        self._arrows = TraderSortArrows()
        self._arrows.setParent(header)
        header.setStyle(self._arrows)
        # Widths are set from the content once per load, not on every show or refresh:
        # sizing every column to its content on each paint is what froze the tab switch.
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Interactive)
        # The last text column (names, or warnings) takes the width left over.
        self._stretched = max(i for i, c in enumerate(self.model.columns) if c.kind is Kind.TEXT)
        header.setSectionResizeMode(self._stretched, QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.table.setSortingEnabled(True)
        column, order = sort
        self.table.sortByColumn(self.model.columns.index(column), order)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.clicked.connect(self._clicked)
        self.table.doubleClicked.connect(self._activated)
        self.status = QtWidgets.QLabel("Loading markets…", self)
        self.status.setObjectName(f"{name}Status")
        self.message = InlineMessage(self)

        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.quote_tabs)
        top.addWidget(self.filter_box, 1)
        top.addWidget(self.status)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        self._apply_filter()

    # -- Panel protocol ---------------------------------------------------------------------

    def start(self) -> None:
        """Load the listing, then keep prices fresh (call once the loop runs)."""
        self.tasks.start(self.presenter.run(), "refresh")

    async def stop(self) -> None:
        """Stop refreshing and wait for the work to unwind."""
        await self.tasks.wait_cancelled()

    def is_ready(self) -> bool:
        """True once prices have arrived."""
        return self.presenter.refreshes > 0

    def export_rows(self) -> ExportRows:
        """The rows as shown (sorted and filtered), with numbers as numbers, for File → Export."""
        return export_table(self.proxy.shown_rows(), self.model.columns, self.favourites)

    def closeEvent(self, event: Any) -> None:
        self.tasks.cancel_all()
        super().closeEvent(event)

    # -- what the user sees ---------------------------------------------------------------

    @property
    def refreshes(self) -> int:
        return self.presenter.refreshes

    def row_count(self) -> int:
        """Rows currently shown (after the quote tab and the filter)."""
        return self.proxy.rowCount()

    def shown_markets(self) -> list[str]:
        """Market codes in the order the table shows them."""
        return [row.market for row in self.proxy.shown_rows()]

    def select_tab(self, title: str) -> None:
        """Show one quote tab (or All, or Favourites)."""
        for index in range(self.quote_tabs.count()):
            if self.quote_tabs.tabText(index) == title:
                self.quote_tabs.setCurrentIndex(index)
                return
        raise ValueError(f"tab {title!r} is not one of this list's tabs")

    async def load_markets(self) -> bool:
        """Fill the rows from the market list. True on success."""
        return await self.presenter.load_markets()

    async def refresh(self) -> bool:
        """One ticker refresh of every row, in place. True on success."""
        return await self.presenter.refresh()

    # -- presenter callbacks ------------------------------------------------------------------

    def listed_markets(self, markets: int) -> None:
        self.message.clear_message()
        self.fit_columns()
        self.status.setText(self.listing_text())

    def prices_refreshed(self, changed: int, elapsed_ms: float) -> None:
        if self.presenter.refreshes == 1:
            self.fit_columns()  # prices widen their columns once
        now = datetime.now(KST).strftime("%H:%M:%S KST")
        self.status.setText(f"{self.listing_text()} · updated {now} · {elapsed_ms:.0f} ms")
        self.message.clear_message()
        self.refreshed.emit(changed)

    def failed(self, message: str) -> None:
        self.message.show_error(message)

    def fit_columns(self) -> None:
        """Size the columns to what they hold now; the stretched one takes the rest."""
        self.table.resizeColumnsToContents()
        # Qt spreads the spare width over a stretched section only when that section's
        # mode is set or the view resizes, not after the others were resized to contents.
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(self._stretched, QtWidgets.QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(self._stretched, QtWidgets.QHeaderView.ResizeMode.Stretch)

    def listing_text(self) -> str:
        """How many markets of each quote the list holds."""
        counts = Counter(row.quote for row in self.rows.rows)
        per_quote = ", ".join(f"{quote} {counts[quote]}" for quote in sorted(counts, key=quote_rank))
        return f"{len(self.rows)} markets ({per_quote})"

    # -- user actions ------------------------------------------------------------------------

    def _apply_filter(self) -> None:
        tab = self.quote_tabs.tabText(self.quote_tabs.currentIndex())
        self.proxy.set_filter(RowFilter(tab, self.filter_box.text()))

    def _clicked(self, index: QtCore.QModelIndex) -> None:
        if self.model.columns[index.column()].kind is Kind.STAR:
            source = self.proxy.mapToSource(index)
            self.favourites.toggle(self.model.row_at(source.row()).market)

    def _activated(self, index: QtCore.QModelIndex) -> None:
        source = self.proxy.mapToSource(index)
        if source.isValid():
            self.market_activated.emit(self.model.row_at(source.row()).market)
