"""What a user sees in the Markets tab: KRW first, warnings in words, prices, quote tabs, stars."""

from __future__ import annotations

from typing import Any

from PyQt6 import QtCore

from backbone import MarketDataBackbone
from backbone.sim import ExchangeSimulator
from ui.markets_panel import MarketsPanel
from ui.models.favourites import Favourites
from ui.models.market_list import CAUTION_LABELS, MARKETS_COLUMNS, WARNING_LABEL


def _column(panel: MarketsPanel, title: str) -> list[str]:
    column = [c.title for c in MARKETS_COLUMNS].index(title)
    return [panel.proxy.index(r, column).data() for r in range(panel.proxy.rowCount())]


async def test_markets_open_krw_first_with_readable_warnings_and_prices(
    qtbot: Any, backbone: MarketDataBackbone, simulator: ExchangeSimulator
) -> None:
    panel = MarketsPanel(backbone)
    qtbot.addWidget(panel)
    panel.resize(1280, 700)
    panel.show()
    assert await panel.load_markets()
    shown = panel.shown_markets()
    krw, btc, usdt = (len(simulator.market_codes(q)) for q in ("KRW", "BTC", "USDT"))
    assert len(shown) == krw + btc + usdt
    assert [m.split("-")[0] for m in shown] == ["KRW"] * krw + ["BTC"] * btc + ["USDT"] * usdt
    assert shown[:krw] == sorted(shown[:krw])
    assert panel.status.text().startswith(f"{len(shown)} markets (KRW {krw}, BTC {btc}, USDT {usdt})")

    readable = {WARNING_LABEL, *CAUTION_LABELS.values()}
    warnings = [w for w in _column(panel, "Warning") if w]
    assert warnings, "the simulator flags some markets"
    assert all(set(w.split(", ")) <= readable for w in warnings), warnings
    assert not any("_" in w for w in warnings)

    assert set(_column(panel, "Price")) == {"-"}  # before the first ticker
    assert await panel.refresh()
    prices = _column(panel, "Price")
    assert "-" not in prices and all(p[0].isdigit() for p in prices)
    header = panel.table.horizontalHeader()
    assert header.length() == panel.table.viewport().width()  # the columns fill the table's width
    header, rows = panel.export_rows()
    price = header.index("price")
    assert all(isinstance(row[price], float) for row in rows)


async def test_quote_tabs_and_the_favourites_tab_filter_the_markets(
    qtbot: Any, backbone: MarketDataBackbone, simulator: ExchangeSimulator
) -> None:
    favourites = Favourites()
    panel = MarketsPanel(backbone, favourites=favourites)
    qtbot.addWidget(panel)
    assert await panel.load_markets()
    assert [panel.quote_tabs.tabText(i) for i in range(panel.quote_tabs.count())] == [
        "All", "KRW", "BTC", "USDT", "★ Favourites",
    ]
    panel.select_tab("USDT")
    assert set(panel.shown_markets()) == set(simulator.market_codes("USDT"))
    panel.select_tab("★ Favourites")
    assert panel.row_count() == 0
    favourites.toggle("BTC-ETH")  # starred in another list: this one follows
    assert panel.shown_markets() == ["BTC-ETH"]
    panel.filter_box.setText("ethereum")
    assert panel.shown_markets() == ["BTC-ETH"]
    panel.select_tab("All")
    listing = (await backbone.list_markets()).data
    assert set(panel.shown_markets()) == {m["market"] for m in listing if "ethereum" in m["english_name"].lower()}
    assert panel.quote_tabs.currentIndex() == 0 and panel.table.isSortingEnabled()
    assert panel.table.horizontalHeader().sortIndicatorOrder() == QtCore.Qt.SortOrder.AscendingOrder
