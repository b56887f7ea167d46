"""The order book (호가) and recent trades (체결) beside the chart: they render what the chart's
presenter hands them; a click on a price level asks for a line at that price on the chart."""

from __future__ import annotations

from collections.abc import Sequence

from PyQt6 import QtCore, QtGui, QtWidgets

from ui.colors import FALL, RISE
from ui.models.chart.order_book import BOOK_DEPTH, BookView, TapeRow
from ui.models.formatting import format_amount, format_price

SHARE_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1  # a size's share of the largest level: the bar's length
PRICE_ROLE = QtCore.Qt.ItemDataRole.UserRole + 2


class SizeBarDelegate(QtWidgets.QStyledItemDelegate):
    """Paints a size cell's bar (its share of the largest level) under the number."""

    def paint(self, painter: QtGui.QPainter, option: QtWidgets.QStyleOptionViewItem, index: QtCore.QModelIndex) -> None:
        share = index.data(SHARE_ROLE)
        colour = index.data(QtCore.Qt.ItemDataRole.ForegroundRole)
        if isinstance(share, float) and share > 0 and colour is not None:
            bar = QtGui.QColor(colour.color() if isinstance(colour, QtGui.QBrush) else colour)
            bar.setAlpha(60)
            rect = QtCore.QRectF(option.rect)
            rect.setWidth(rect.width() * min(share, 1.0))
            painter.fillRect(rect, bar)
        super().paint(painter, option, index)


def _table(columns: Sequence[str], rows: int) -> QtWidgets.QTableWidget:
    table = QtWidgets.QTableWidget(rows, len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(16)
    table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
    table.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)
    table.horizontalHeader().setMinimumSectionSize(70)
    table.setShowGrid(False)
    return table


def _cell(text: str, colour: str | None = None, align_right: bool = True) -> QtWidgets.QTableWidgetItem:
    item = QtWidgets.QTableWidgetItem(text)
    if colour is not None:
        item.setForeground(QtGui.QBrush(QtGui.QColor(colour)))
    if align_right:
        item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
    return item


class OrderBookView(QtWidgets.QWidget):
    """Fifteen asks over fifteen bids with size bars, the spread and each side's total; and
    the recent trades, newest first, red for buys and blue for sells."""

    price_clicked = QtCore.pyqtSignal(float)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("orderBook")
        self.setMinimumWidth(300)
        self.book_table = _table(("Price", "Size"), 2 * BOOK_DEPTH)
        self.book_table.setObjectName("orderBookTable")
        self.book_table.setItemDelegateForColumn(1, SizeBarDelegate(self.book_table))
        self.book_table.cellClicked.connect(self._clicked)
        self._centred = False  # the first book of a market is scrolled to the spread
        self.spread_label = QtWidgets.QLabel(" ", self)
        self.spread_label.setObjectName("orderBookSpread")
        self.totals_label = QtWidgets.QLabel(" ", self)
        self.totals_label.setObjectName("orderBookTotals")
        self.trades_table = _table(("Time (KST)", "Price", "Size"), 0)
        self.trades_table.setObjectName("tradesTable")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QtWidgets.QLabel("Order book"))
        layout.addWidget(self.book_table, 3)
        layout.addWidget(self.spread_label)
        layout.addWidget(self.totals_label)
        layout.addWidget(QtWidgets.QLabel("Recent trades"))
        layout.addWidget(self.trades_table, 2)

    def show_book(self, book: BookView) -> None:
        table = self.book_table
        levels = book.levels
        table.setRowCount(len(levels))
        for row, level in enumerate(levels):
            colour = FALL if row < len(book.asks) else RISE  # asks blue above, bids red below
            price = _cell(format_price(level.price), colour)
            price.setData(PRICE_ROLE, level.price)
            size = _cell(f"{level.size:,.4f}", colour)
            size.setData(SHARE_ROLE, float(level.share))
            table.setItem(row, 0, price)
            table.setItem(row, 1, size)
        if not self._centred and book.bids:
            # Open on the best ask and bid, where the spread is.
            table.scrollToItem(table.item(len(book.asks), 0), QtWidgets.QAbstractItemView.ScrollHint.PositionAtCenter)
            self._centred = True
        self.spread_label.setText(f"Spread {format_price(book.spread)} ({book.spread_percent:.3f}%)")
        self.totals_label.setText(f"Total ask {format_amount(book.total_ask)}   Total bid {format_amount(book.total_bid)}")

    def show_trades(self, rows: Sequence[TapeRow]) -> None:
        table = self.trades_table
        table.setRowCount(len(rows))
        for index, trade in enumerate(rows):
            colour = RISE if trade.buy else FALL
            table.setItem(index, 0, _cell(trade.time_kst, colour, align_right=False))
            table.setItem(index, 1, _cell(format_price(trade.price), colour))
            table.setItem(index, 2, _cell(f"{trade.size:,.4f}", colour))

    def clear(self) -> None:
        self._centred = False
        self.book_table.clearContents()
        self.trades_table.setRowCount(0)
        self.spread_label.setText(" ")
        self.totals_label.setText(" ")

    def _clicked(self, row: int, _column: int) -> None:
        item = self.book_table.item(row, 0)
        price = None if item is None else item.data(PRICE_ROLE)
        if isinstance(price, float):
            self.price_clicked.emit(price)
