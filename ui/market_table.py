"""Qt rendering of market rows: a table model over ``MarketRows`` and its sort/filter proxy.

The model only draws what ``ui.models.market_list`` holds and forwards the rows'
events to Qt: changed cells are announced with ``dataChanged`` and new markets
with ``beginInsertRows``, never a reset, so sorting and the user's selection
survive every refresh.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
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
_RIGHT = int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
_CENTRE = int(QtCore.Qt.AlignmentFlag.AlignCenter)


class MarketTableModel(QtCore.QAbstractTableModel):
    """``rows`` under ``columns``; a starred market shows a filled star."""

    def __init__(
        self,
        rows: MarketRows,
        columns: Sequence[Column],
        favourites: Favourites,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.rows = rows
        self.columns = tuple(columns)
        self.favourites = favourites
        self._star = next((i for i, c in enumerate(self.columns) if c.kind is Kind.STAR), None)
        self._roles: dict[int, Callable[[MarketRow, Column], Any]] = {
            QtCore.Qt.ItemDataRole.DisplayRole: self._display,
            SORT_ROLE: self._sort,
            QtCore.Qt.ItemDataRole.ForegroundRole: self._foreground,
            QtCore.Qt.ItemDataRole.TextAlignmentRole: self._alignment,
        }
        rows.watch(self)
        favourites.on_change(self._starred)

    # -- events from the rows ---------------------------------------------------------------

    def rows_inserting(self, first: int, last: int) -> None:
        self.beginInsertRows(QtCore.QModelIndex(), first, last)

    def rows_inserted(self) -> None:
        self.endInsertRows()

    def rows_changed(self, first: int, last: int) -> None:
        self.dataChanged.emit(
            self.index(first, 0),
            self.index(last, len(self.columns) - 1),
            [QtCore.Qt.ItemDataRole.DisplayRole, SORT_ROLE, QtCore.Qt.ItemDataRole.ForegroundRole],
        )

    def _starred(self, market: str) -> None:
        row = self.rows.row_of(market)
        if row is not None and self._star is not None:
            cell = self.index(row, self._star)
            self.dataChanged.emit(cell, cell)

    # -- Qt model API -----------------------------------------------------------------------

    def rowCount(self, parent: QtCore.QModelIndex = QtCore.QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QtCore.QModelIndex = QtCore.QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: QtCore.Qt.Orientation, role: int = QtCore.Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != QtCore.Qt.Orientation.Horizontal:
            return None
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            return self.columns[section].title
        if role == QtCore.Qt.ItemDataRole.ToolTipRole:
            return self.columns[section].tooltip or None
        return None

    def data(self, index: QtCore.QModelIndex, role: int = QtCore.Qt.ItemDataRole.DisplayRole) -> Any:
        # A view asks for about eight roles per visible cell on every paint: answer the
        # roles this model does not draw before touching the row.
        draw = self._roles.get(role)
        if draw is None:
            return None
        return draw(self.rows.rows[index.row()], self.columns[index.column()])

    def _display(self, row: MarketRow, column: Column) -> str:
        return display_text(column, cell_value(row, column, self.favourites))

    def _sort(self, row: MarketRow, column: Column) -> Any:
        return sort_value(row, column, self.favourites)

    def _foreground(self, row: MarketRow, column: Column) -> QtGui.QBrush | None:
        return _foreground(row, column, self.favourites)

    @staticmethod
    def _alignment(_row: MarketRow, column: Column) -> int | None:
        return _CENTRE if column.kind is Kind.STAR else _RIGHT if column.numeric else None

    def row_at(self, row: int) -> MarketRow:
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
        return QtGui.QBrush(QtGui.QColor(STAR_COLOUR)) if row.market in favourites else None
    if column in (PRICE, CHANGE) and not math.isnan(row.change_pct):
        return QtGui.QBrush(QtGui.QColor(change_color(row.change_pct)))
    if column.field == "warning" and row.warning:
        return QtGui.QBrush(QtGui.QColor(ERROR_TEXT))
    return None


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
