"""Table model of the screener: one row per market, updated in place from tickers.

Rows are never reset on refresh: changed cells are announced with
``dataChanged``, new markets inserted with ``beginInsertRows``, so a sort
proxy and the user's selection survive every refresh.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from PyQt6 import QtCore, QtGui

from ui.colors import change_color
from ui.models.formatting import format_amount, format_price

SORT_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1  # raw values for sorting

COLUMNS = ("Market", "Name", "Price", "Change %", "24h value", "24h volume", "From 52w high %")
COL_MARKET, COL_NAME, COL_PRICE, COL_CHANGE, COL_VALUE, COL_VOLUME, COL_FROM_HIGH = range(7)
_NUMERIC = {COL_PRICE, COL_CHANGE, COL_VALUE, COL_VOLUME, COL_FROM_HIGH}


@dataclass(slots=True)
class ScreenerRow:
    """What one row shows."""

    market: str
    name: str
    price: float = math.nan
    change_pct: float = math.nan
    value_24h: float = math.nan
    volume_24h: float = math.nan
    from_high_pct: float = math.nan

    def values(self) -> tuple[Any, ...]:
        return (self.market, self.name, self.price, self.change_pct, self.value_24h,
                self.volume_24h, self.from_high_pct)


class ScreenerModel(QtCore.QAbstractTableModel):
    """Markets and their latest ticker figures."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ScreenerRow] = []
        self._index: dict[str, int] = {}

    # -- Qt model API -------------------------------------------------------------------

    def rowCount(self, parent: QtCore.QModelIndex = QtCore.QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QtCore.QModelIndex = QtCore.QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: QtCore.Qt.Orientation, role: int = QtCore.Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == QtCore.Qt.ItemDataRole.DisplayRole and orientation == QtCore.Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: QtCore.QModelIndex, role: int = QtCore.Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        value = row.values()[column]
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            return _display(column, value)
        if role == SORT_ROLE:
            # Markets without a ticker yet sort below every real figure.
            return -math.inf if isinstance(value, float) and math.isnan(value) else value
        if role == QtCore.Qt.ItemDataRole.ForegroundRole and column in (COL_PRICE, COL_CHANGE):
            if not math.isnan(row.change_pct):
                return QtGui.QBrush(QtGui.QColor(change_color(row.change_pct)))
        if role == QtCore.Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC:
            return int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        return None

    # -- updates ---------------------------------------------------------------------------

    def market_at(self, row: int) -> str:
        return self._rows[row].market

    def row_of(self, market: str) -> int | None:
        return self._index.get(market)

    def markets(self) -> list[str]:
        return [r.market for r in self._rows]

    def set_markets(self, markets: Iterable[Mapping[str, Any]]) -> None:
        """Add markets not yet shown (``list_markets`` dicts); existing rows stay as they are."""
        fresh = [m for m in markets if m["market"] not in self._index]
        if not fresh:
            return
        first = len(self._rows)
        self.beginInsertRows(QtCore.QModelIndex(), first, first + len(fresh) - 1)
        for m in fresh:
            self._index[m["market"]] = len(self._rows)
            self._rows.append(ScreenerRow(m["market"], str(m.get("korean_name", ""))))
        self.endInsertRows()

    def update_tickers(self, tickers: Iterable[Mapping[str, Any]]) -> int:
        """Fold ticker dicts into their rows; announce the changed span. Returns rows changed."""
        unknown = [{"market": t["market"]} for t in tickers if t["market"] not in self._index]
        if unknown:
            self.set_markets(unknown)
        changed: list[int] = []
        for t in tickers:
            i = self._index[t["market"]]
            row = self._rows[i]
            price = float(t["trade_price"])
            high52 = float(t.get("highest_52_week_price") or 0.0)
            new = (
                price,
                float(t.get("signed_change_rate", 0.0)) * 100.0,
                float(t.get("acc_trade_price_24h", math.nan)),
                float(t.get("acc_trade_volume_24h", math.nan)),
                (price / high52 - 1.0) * 100.0 if high52 > 0 else math.nan,
            )
            old = (row.price, row.change_pct, row.value_24h, row.volume_24h, row.from_high_pct)
            if new != old:
                row.price, row.change_pct, row.value_24h, row.volume_24h, row.from_high_pct = new
                changed.append(i)
        if changed:
            self.dataChanged.emit(
                self.index(min(changed), COL_PRICE),
                self.index(max(changed), len(COLUMNS) - 1),
                [QtCore.Qt.ItemDataRole.DisplayRole, SORT_ROLE, QtCore.Qt.ItemDataRole.ForegroundRole],
            )
        return len(changed)


def _display(column: int, value: Any) -> str:
    if column in (COL_MARKET, COL_NAME):
        return str(value)
    if math.isnan(value):
        return "-"
    if column == COL_PRICE:
        return format_price(value)
    if column in (COL_CHANGE, COL_FROM_HIGH):
        return f"{value:+.2f}%"
    return format_amount(value)


class ScreenerFilter(QtCore.QSortFilterProxyModel):
    """Sorts on raw values and filters on market code or name, case-insensitively."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setFilterCaseSensitivity(QtCore.Qt.CaseSensitivity.CaseInsensitive)
        self.setDynamicSortFilter(True)
        self._needle = ""

    def set_text(self, text: str) -> None:
        """Show only markets whose code or name contains ``text`` (plain text, any case)."""
        self._needle = text.strip().casefold()
        self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QtCore.QModelIndex) -> bool:
        needle = self._needle
        if not needle:
            return True
        model = self.sourceModel()
        for column in (COL_MARKET, COL_NAME):
            text = str(model.index(source_row, column, source_parent).data())
            if needle in text.casefold():
                return True
        return False
