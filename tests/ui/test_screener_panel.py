"""What a user sees in the screener: markets per quote tab, sortable, refreshed in place, starred."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PyQt6 import QtCore

from backbone import MarketDataBackbone
from backbone.sim import ExchangeSimulator
from tests.ui.conftest import wait_until
from ui.market_table import SORT_ROLE
from ui.models.favourites import Favourites
from ui.models.market_list import CHANGE, MARKET, SCREENER_COLUMNS, STAR
from ui.screener.panel import ScreenerPanel

COL_STAR, COL_MARKET, COL_CHANGE = (SCREENER_COLUMNS.index(c) for c in (STAR, MARKET, CHANGE))


async def test_screener_lists_every_krw_market_sorted_by_change(
    qtbot: Any, backbone: MarketDataBackbone, simulator: ExchangeSimulator
) -> None:
    panel = ScreenerPanel(backbone, interval_s=0.3)
    qtbot.addWidget(panel)
    panel.show()
    activated: list[str] = []
    panel.market_activated.connect(activated.append)
    panel.start()
    await wait_until(lambda: panel.refreshes >= 1)
    assert panel.quote_tabs.tabText(panel.quote_tabs.currentIndex()) == "KRW"
    assert panel.row_count() == len(simulator.market_codes("KRW"))
    assert set(panel.shown_markets()) == set(simulator.market_codes("KRW"))

    panel.table.sortByColumn(COL_CHANGE, QtCore.Qt.SortOrder.DescendingOrder)
    changes = [panel.proxy.index(r, COL_CHANGE).data(SORT_ROLE) for r in range(panel.proxy.rowCount())]
    assert changes == sorted(changes, reverse=True)

    panel.table.selectRow(3)
    chosen = panel.proxy.index(3, COL_MARKET).data()
    resets: list[int] = []
    panel.model.modelReset.connect(lambda: resets.append(1))
    seen = panel.refreshes
    await wait_until(lambda: panel.refreshes >= seen + 2)
    assert not resets  # refreshed in place
    selected = panel.table.selectionModel().selectedRows(COL_MARKET)
    assert [i.data() for i in selected] == [chosen]  # the selection followed its market

    panel.table.doubleClicked.emit(selected[0])
    assert activated == [chosen]
    panel.filter_box.setText("KRW-BTC")
    assert panel.proxy.rowCount() == 1
    await panel.stop()


async def test_quote_tabs_english_names_day_range_and_remembered_favourites(
    qtbot: Any, backbone: MarketDataBackbone, simulator: ExchangeSimulator, tmp_path: Path
) -> None:
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    panel = ScreenerPanel(backbone, favourites=Favourites(settings))
    qtbot.addWidget(panel)
    panel.show()
    assert await panel.load_markets() and await panel.refresh()
    tabs = [panel.quote_tabs.tabText(i) for i in range(panel.quote_tabs.count())]
    assert tabs == ["KRW", "BTC", "USDT", "★ Favourites"]
    for quote in ("BTC", "USDT"):
        panel.select_tab(quote)
        assert set(panel.shown_markets()) == set(simulator.market_codes(quote))
    panel.select_tab("KRW")
    headers = [panel.model.headerData(i, QtCore.Qt.Orientation.Horizontal) for i in range(len(SCREENER_COLUMNS))]
    assert {"Day high", "Day low"} <= set(headers)
    high, low, price = (headers.index(t) for t in ("Day high", "Day low", "Price"))
    first = panel.proxy.index(0, 0)
    cells = [float(panel.proxy.index(first.row(), c).data(SORT_ROLE)) for c in (low, price, high)]
    assert cells[0] <= cells[1] <= cells[2] and panel.proxy.index(0, high).data() not in ("", "-")

    # The filter matches English names too.
    english = next(m for m in (await backbone.list_markets(quote="KRW")).data if m["market"] == "KRW-ETH")
    panel.filter_box.setText(english["english_name"].upper())
    assert "KRW-ETH" in panel.shown_markets()
    panel.filter_box.setText("")

    # Clicking the star cell stars the market; the Favourites tab shows it; a new panel remembers.
    row = panel.shown_markets().index("KRW-ETH")
    star = panel.proxy.index(row, COL_STAR)
    assert star.data() == "☆"
    rect = panel.table.visualRect(star)
    qtbot.mouseClick(panel.table.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.proxy.index(row, COL_STAR).data() == "★"
    panel.select_tab("★ Favourites")
    assert panel.shown_markets() == ["KRW-ETH"]
    settings.sync()
    again = ScreenerPanel(
        backbone,
        favourites=Favourites(QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)),
    )
    qtbot.addWidget(again)
    assert await again.load_markets()
    again.select_tab("★ Favourites")
    assert again.shown_markets() == ["KRW-ETH"]
    assert again.proxy.index(0, COL_STAR).data() == "★"
