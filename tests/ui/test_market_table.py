"""The Qt table over market rows: sorts on numbers, updates in place, colours, sort arrows."""

from __future__ import annotations

from typing import Any

from PyQt6 import QtCore, QtTest, QtWidgets

from ui.market_table import MarketTableFilter, MarketTableModel, TraderSortArrows
from ui.models.favourites import Favourites
from ui.models.market_list import CHANGE, MARKET, PRICE, SCREENER_COLUMNS, MarketRows

COL_MARKET, COL_PRICE, COL_CHANGE = (SCREENER_COLUMNS.index(c) for c in (MARKET, PRICE, CHANGE))


def _ticker(market: str, price: float, rate: float) -> dict[str, object]:
    return {"market": market, "trade_price": price, "signed_change_rate": rate,
            "acc_trade_price_24h": price * 1000, "acc_trade_volume_24h": 1000.0,
            "highest_52_week_price": price * 2, "high_price": price * 1.1, "low_price": price * 0.9}


def _filled() -> tuple[MarketRows, MarketTableModel, MarketTableFilter]:
    rows = MarketRows()
    model = MarketTableModel(rows, SCREENER_COLUMNS, Favourites())
    rows.add_markets([{"market": m, "korean_name": n} for m, n in
                      [("KRW-BTC", "비트코인"), ("KRW-ETH", "이더리움"), ("KRW-XRP", "리플")]])
    rows.update_tickers([_ticker("KRW-BTC", 90_000_000, 0.01), _ticker("KRW-ETH", 4_000_000, -0.02),
                         _ticker("KRW-XRP", 800, 0.05)])
    return rows, model, MarketTableFilter(model)


def _column(proxy: MarketTableFilter, column: int) -> list[str]:
    return [proxy.index(r, column).data() for r in range(proxy.rowCount())]


def test_sorting_by_change_uses_numbers_not_text() -> None:
    _, _, proxy = _filled()
    proxy.sort(COL_CHANGE, QtCore.Qt.SortOrder.DescendingOrder)
    assert _column(proxy, COL_MARKET) == ["KRW-XRP", "KRW-BTC", "KRW-ETH"]
    assert _column(proxy, COL_CHANGE) == ["+5.00%", "+1.00%", "-2.00%"]
    proxy.sort(COL_PRICE, QtCore.Qt.SortOrder.AscendingOrder)
    assert _column(proxy, COL_MARKET) == ["KRW-XRP", "KRW-ETH", "KRW-BTC"]


def test_refresh_emits_data_changed_not_reset_and_resorts() -> None:
    rows, model, proxy = _filled()
    proxy.sort(COL_CHANGE, QtCore.Qt.SortOrder.DescendingOrder)
    resets = QtTest.QSignalSpy(model.modelReset)
    changes = QtTest.QSignalSpy(model.dataChanged)
    persistent = QtCore.QPersistentModelIndex(proxy.index(2, COL_MARKET))  # KRW-ETH, selected
    assert rows.update_tickers([_ticker("KRW-ETH", 4_100_000, 0.09)]) == 1
    assert len(resets) == 0 and len(changes) == 1
    assert _column(proxy, COL_MARKET)[0] == "KRW-ETH"  # dynamic sort moved it up
    assert persistent.isValid() and persistent.data() == "KRW-ETH" and persistent.row() == 0
    assert rows.update_tickers([_ticker("KRW-ETH", 4_100_000, 0.09)]) == 0  # nothing changed


def test_colours_follow_korean_convention() -> None:
    rows, model, _ = _filled()
    btc = model.index(rows.row_of("KRW-BTC") or 0, COL_CHANGE)
    eth = model.index(rows.row_of("KRW-ETH") or 0, COL_CHANGE)
    assert btc.data(QtCore.Qt.ItemDataRole.ForegroundRole).color().red() > 200  # rising: red
    assert eth.data(QtCore.Qt.ItemDataRole.ForegroundRole).color().blue() > 200  # falling: blue


def _arrow(header: QtWidgets.QHeaderView) -> str:
    """Which way the drawn sort arrow points, read from the header's pixels."""
    image = header.grab().toImage()
    section = header.sectionViewportPosition(header.sortIndicatorSection())
    width = header.sectionSize(header.sortIndicatorSection())
    background = image.pixelColor(section + 2, 2).lightness()
    # The arrow sits at the right end of its section, clear of the title on the left.
    spans = [
        sum(1 for x in range(section + width - 30, section + width - 1)
            if abs(image.pixelColor(x, y).lightness() - background) > 40)
        for y in range(image.height())
    ]
    drawn = [count for count in spans if 0 < count < 20]  # not the section's border lines
    assert len(drawn) >= 2, f"no arrow drawn: {spans}"
    return "down" if drawn[0] > drawn[-1] else "up"


def test_sort_arrow_points_down_when_the_largest_come_first(qtbot: Any) -> None:
    _, _, proxy = _filled()
    table = QtWidgets.QTableView()
    qtbot.addWidget(table)
    table.setModel(proxy)
    header = table.horizontalHeader()
    arrows = TraderSortArrows()
    arrows.setParent(header)
    header.setStyle(arrows)
    table.setSortingEnabled(True)
    header.resizeSection(COL_CHANGE, 140)
    table.resize(1000, 200)
    table.show()
    table.sortByColumn(COL_CHANGE, QtCore.Qt.SortOrder.DescendingOrder)
    assert _column(proxy, COL_CHANGE)[0] == "+5.00%"
    assert _arrow(header) == "down"
    table.sortByColumn(COL_CHANGE, QtCore.Qt.SortOrder.AscendingOrder)
    assert _column(proxy, COL_CHANGE)[0] == "-2.00%"
    assert _arrow(header) == "up"
