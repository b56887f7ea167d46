"""Qt rendering of market rows: a table model over ``MarketRows`` and its sort/filter proxy.

The model only draws what ``ui.models.market_list`` holds and forwards the rows'
events to Qt: changed cells are announced with ``dataChanged`` and new markets
with ``beginInsertRows``, never a reset, so sorting and the user's selection
survive every refresh.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

from PyQt6 import QtCore, QtGui, QtWidgets

from ui.colors import ERROR_TEXT, change_color
from ui.models.favourites import Favourites
from ui.models.formatting import format_amount, format_price
from ui.models.market_list import (
    CHANGE,
    PRICE,
    Column,
    Kind,
    MarketRow,
    MarketRows,
    RowFilter,
    cell_value,
    sort_value,
)

SORT_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1  # raw values for sorting
STAR_COLOUR = "#f0b90b"
_DISPLAY = QtCore.Qt.ItemDataRole.DisplayRole
_FOREGROUND = QtCore.Qt.ItemDataRole.ForegroundRole


def _alignment(column: Column) -> QtCore.Qt.AlignmentFlag:
    if column.kind is Kind.STAR:
        return QtCore.Qt.AlignmentFlag.AlignCenter
    if column.numeric:
        return QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter
    return QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter


class MarketTableModel(QtGui.QStandardItemModel):
    """``rows`` under ``columns``; a starred market shows a filled star.

    The cells are Qt items filled when a row changes, not answered from Python on
    every paint: a view asks about eight roles per visible cell each time it paints,
    and answering those in Python made showing the tab take tens of milliseconds.
    """

    def __init__(
        self,
        rows: MarketRows,
        columns: Sequence[Column],
        favourites: Favourites,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(0, len(columns), parent)
        self.rows = rows
        self.columns = tuple(columns)
        self.favourites = favourites
        self._star = next((i for i, c in enumerate(self.columns) if c.kind is Kind.STAR), None)
        self._figures = [i for i, c in enumerate(self.columns) if c.numeric]
        for i, column in enumerate(self.columns):
            header = QtGui.QStandardItem(column.title)
            if column.tooltip:
                header.setToolTip(column.tooltip)
            self.setHorizontalHeaderItem(i, header)
        rows.watch(self)
        favourites.on_change(self._starred)
        self.rows_inserted()

    # -- events from the rows ---------------------------------------------------------------

    def rows_inserting(self, first: int, last: int) -> None:
        """Nothing to do before: the items are appended once the rows exist."""

    def rows_inserted(self) -> None:
        """Add items for the rows the model gained."""
        first = self.rowCount()
        if first == len(self.rows):
            return
        # One insertion for the whole listing, then the cells filled quietly and announced
        # once: row by row, the sort proxy would re-sort after every market.
        self.setRowCount(len(self.rows))
        blocked = self.blockSignals(True)
        try:
            for r in range(first, len(self.rows)):
                for c, column in enumerate(self.columns):
                    item = QtGui.QStandardItem()
                    item.setTextAlignment(_alignment(column))
                    self.setItem(r, c, item)
        finally:
            self.blockSignals(blocked)
        self._refill(range(first, len(self.rows)), range(len(self.columns)))

    def rows_changed(self, changed: Sequence[int]) -> None:
        """Refill the figures of the rows a ticker refresh changed (names never change)."""
        self._refill(changed, self._figures)

    def _starred(self, market: str) -> None:
        row = self.rows.row_of(market)
        if row is not None and self._star is not None:
            self._refill([row], [self._star])

    def _refill(self, rows: Sequence[int], columns: Sequence[int]) -> None:
        # Filled quietly and announced with one dataChanged, so the sort proxy re-sorts
        # once per refresh rather than once per cell.
        blocked = self.blockSignals(True)
        try:
            for r in rows:
                row = self.rows.rows[r]
                for c in columns:
                    column, item = self.columns[c], self.item(r, c)
                    item.setData(display_text(column, cell_value(row, column, self.favourites)), _DISPLAY)
                    item.setData(sort_value(row, column, self.favourites), SORT_ROLE)
                    item.setData(_foreground(row, column, self.favourites), _FOREGROUND)
        finally:
            self.blockSignals(blocked)
        self.dataChanged.emit(self.index(min(rows), min(columns)), self.index(max(rows), max(columns)))

    def row_at(self, row: int) -> MarketRow:
        """The market row behind a source row."""
        return self.rows.rows[row]


def display_text(column: Column, value: Any) -> str:
    """A cell as the user reads it."""
    if column.kind is Kind.STAR:
        return "★" if value else "☆"
    if column.kind is Kind.TEXT:
        return str(value)
    if math.isnan(value):
        return "-"
    if column.kind is Kind.PRICE:
        return format_price(value)
    if column.kind is Kind.PERCENT:
        return f"{value:+.2f}%"
    return format_amount(value)


def _foreground(row: MarketRow, column: Column, favourites: Favourites) -> QtGui.QBrush | None:
    if column.kind is Kind.STAR:
        return _brush(STAR_COLOUR) if row.market in favourites else None
    if (column is PRICE or column is CHANGE) and not math.isnan(row.change_pct):
        return _brush(change_color(row.change_pct))
    if column.field == "warning" and row.warning:
        return _brush(ERROR_TEXT)
    return None


@functools.cache
def _brush(colour: str) -> QtGui.QBrush:
    return QtGui.QBrush(QtGui.QColor(colour))


class MarketTableFilter(QtCore.QSortFilterProxyModel):
    """Sorts on raw values and shows the rows a :class:`RowFilter` accepts."""

    def __init__(self, source: MarketTableModel, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.setSourceModel(source)
        self._source = source
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)
        self.row_filter = RowFilter()
        source.favourites.on_change(self._favourites_changed)

    def set_filter(self, row_filter: RowFilter) -> None:
        """Show only the rows ``row_filter`` accepts."""
        self.row_filter = row_filter
        self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QtCore.QModelIndex) -> bool:
        return self.row_filter.accepts(self._source.row_at(source_row), self._source.favourites)

    def shown_rows(self) -> list[MarketRow]:
        """The rows in the order the user sees them (sorted and filtered)."""
        return [self._source.row_at(self.mapToSource(self.index(r, 0)).row()) for r in range(self.rowCount())]

    def _favourites_changed(self, _market: str) -> None:
        self.invalidateRowsFilter()


class TraderSortArrows(QtWidgets.QProxyStyle):
    """Sort arrows that point the way the column runs: ▼ largest first, ▲ smallest first.

    QHeaderView asks the style for "sort down" when a column is in ascending order, so
    Qt's own styles draw ▲ over a column sorted largest first; this style swaps them.
    """

    def drawPrimitive(
        self,
        element: QtWidgets.QStyle.PrimitiveElement,
        option: QtWidgets.QStyleOption | None,
        painter: QtGui.QPainter | None,
        widget: QtWidgets.QWidget | None = None,
    ) -> None:
        if element == QtWidgets.QStyle.PrimitiveElement.PE_IndicatorHeaderArrow and isinstance(
            option, QtWidgets.QStyleOptionHeader
        ):
            flipped = QtWidgets.QStyleOptionHeader(option)
            up, down = QtWidgets.QStyleOptionHeader.SortIndicator.SortUp, QtWidgets.QStyleOptionHeader.SortIndicator.SortDown
            flipped.sortIndicator = down if option.sortIndicator == up else up
            option = flipped
        super().drawPrimitive(element, option, painter, widget)
