"""The backtest's trade list: a table view over the run's trade columns, rows made on demand."""

from __future__ import annotations

from typing import Any

from PyQt6 import QtCore, QtGui, QtWidgets

from ui.colors import change_color
from ui.models.backtest.engine import TradeTable
from ui.models.backtest.trade_rows import RETURN_COLUMN, TRADE_COLUMNS, TradeRows

_DISPLAY = QtCore.Qt.ItemDataRole.DisplayRole
_FOREGROUND = QtCore.Qt.ItemDataRole.ForegroundRole


class TradeModel(QtCore.QAbstractTableModel):
    """Every trade of a run, newest first; Qt asks only for the rows on screen."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.rows = TradeRows()

    def show(self, table: TradeTable | None) -> None:
        self.beginResetModel()
        self.rows = TradeRows(table)
        self.endResetModel()

    def rowCount(self, parent: QtCore.QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.rows)

    def columnCount(self, parent: QtCore.QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(TRADE_COLUMNS)

    def data(self, index: QtCore.QModelIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        if role == _DISPLAY:
            return self.rows.cells(index.row())[index.column()]
        if role == _FOREGROUND and index.column() == RETURN_COLUMN:
            return QtGui.QBrush(QtGui.QColor(change_color(self.rows.net_return(index.row()))))
        return None

    def headerData(self, section: int, orientation: QtCore.Qt.Orientation, role: int = _DISPLAY) -> Any:
        if role == _DISPLAY and orientation == QtCore.Qt.Orientation.Horizontal:
            return TRADE_COLUMNS[section]
        return None


class TradesTable(QtWidgets.QTableView):
    """The trade list; ``show_trades`` replaces its rows at once, whatever their number."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.trade_model = TradeModel(self)
        self.setModel(self.trade_model)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.horizontalHeader()
        header.setStretchLastSection(True)
        # Every row has the same shape (fixed-width dates), so sizing columns from the
        # first rows reads them whole without measuring thousands of cells.
        header.setResizeContentsPrecision(50)
        self.columns_fitted = True  # False while new rows wait for the table to be shown

    def show_trades(self, table: TradeTable | None, *, fit_columns: bool = True) -> None:
        """List ``table``'s trades; ``fit_columns=False`` keeps the column widths (sizing
        them reads a few hundred cells, too dear for every refresh while history loads).

        A hidden table (the Chart tab in front) sizes its columns when it is shown:
        the sizing formats every cell it reads, 25+ ms that would otherwise land in the
        same loop callback as a finished or cancelled run's other updates."""
        was_empty = self.trade_model.rowCount() == 0
        self.trade_model.show(table)
        if fit_columns or was_empty:
            self.columns_fitted = False
            if self.isVisible():
                self._fit_columns()

    def showEvent(self, event: QtGui.QShowEvent | None) -> None:
        if not self.columns_fitted:
            self._fit_columns()
        super().showEvent(event)

    def _fit_columns(self) -> None:
        self.resizeColumnsToContents()  # whole dates and times, never cut off
        self.columns_fitted = True

    def rowCount(self) -> int:
        """Rows listed (every trade of the run shown)."""
        return self.trade_model.rowCount()

    def text(self, row: int, column: int) -> str:
        """The text a user reads in one cell."""
        return str(self.trade_model.data(self.trade_model.index(row, column)))
