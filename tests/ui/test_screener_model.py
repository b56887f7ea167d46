"""The screener model sorts on raw values and updates rows in place."""

from __future__ import annotations

from PyQt6 import QtCore, QtTest

from ui.screener.model import COL_CHANGE, COL_MARKET, COL_PRICE, ScreenerFilter, ScreenerModel


def _ticker(market: str, price: float, rate: float) -> dict[str, object]:
    return {"market": market, "trade_price": price, "signed_change_rate": rate,
            "acc_trade_price_24h": price * 1000, "acc_trade_volume_24h": 1000.0,
            "highest_52_week_price": price * 2}


def _filled() -> tuple[ScreenerModel, ScreenerFilter]:
    model = ScreenerModel()
    model.set_markets([{"market": m, "korean_name": n} for m, n in
                       [("KRW-BTC", "비트코인"), ("KRW-ETH", "이더리움"), ("KRW-XRP", "리플")]])
    model.update_tickers([_ticker("KRW-BTC", 90_000_000, 0.01), _ticker("KRW-ETH", 4_000_000, -0.02),
                          _ticker("KRW-XRP", 800, 0.05)])
    proxy = ScreenerFilter()
    proxy.setSourceModel(model)
    return model, proxy


def _column(proxy: ScreenerFilter, column: int) -> list[str]:
    return [proxy.index(r, column).data() for r in range(proxy.rowCount())]


def test_sorting_by_change_uses_numbers_not_text() -> None:
    _, proxy = _filled()
    proxy.sort(COL_CHANGE, QtCore.Qt.SortOrder.DescendingOrder)
    assert _column(proxy, COL_MARKET) == ["KRW-XRP", "KRW-BTC", "KRW-ETH"]
    assert _column(proxy, COL_CHANGE) == ["+5.00%", "+1.00%", "-2.00%"]
    proxy.sort(COL_PRICE, QtCore.Qt.SortOrder.AscendingOrder)
    assert _column(proxy, COL_MARKET) == ["KRW-XRP", "KRW-ETH", "KRW-BTC"]


def test_refresh_emits_data_changed_not_reset_and_resorts() -> None:
    model, proxy = _filled()
    proxy.sort(COL_CHANGE, QtCore.Qt.SortOrder.DescendingOrder)
    resets = QtTest.QSignalSpy(model.modelReset)
    changes = QtTest.QSignalSpy(model.dataChanged)
    persistent = QtCore.QPersistentModelIndex(proxy.index(2, COL_MARKET))  # KRW-ETH, selected
    assert model.update_tickers([_ticker("KRW-ETH", 4_100_000, 0.09)]) == 1
    assert len(resets) == 0 and len(changes) == 1
    assert _column(proxy, COL_MARKET)[0] == "KRW-ETH"  # dynamic sort moved it up
    assert persistent.isValid() and persistent.data() == "KRW-ETH" and persistent.row() == 0
    assert model.update_tickers([_ticker("KRW-ETH", 4_100_000, 0.09)]) == 0  # nothing changed


def test_filter_matches_code_or_korean_name() -> None:
    _, proxy = _filled()
    proxy.set_text("이더")
    assert _column(proxy, COL_MARKET) == ["KRW-ETH"]
    proxy.set_text("krw-x")
    assert _column(proxy, COL_MARKET) == ["KRW-XRP"]
    proxy.set_text("")
    assert proxy.rowCount() == 3


def test_colours_follow_korean_convention() -> None:
    model, _ = _filled()
    btc = model.index(model.row_of("KRW-BTC"), COL_CHANGE)
    eth = model.index(model.row_of("KRW-ETH"), COL_CHANGE)
    assert btc.data(QtCore.Qt.ItemDataRole.ForegroundRole).color().red() > 200  # rising: red
    assert eth.data(QtCore.Qt.ItemDataRole.ForegroundRole).color().blue() > 200  # falling: blue
