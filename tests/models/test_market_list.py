"""The market rows behind Markets and Screener, without Qt: order, labels, filter, favourites, export."""

from __future__ import annotations

import math
from typing import Any

from ui.models.favourites import Favourites
from ui.models.market_list import (
    FAVOURITES_TAB,
    MARKET,
    MARKETS_COLUMNS,
    SCREENER_COLUMNS,
    MarketRows,
    RowFilter,
    export_table,
    sort_value,
    warning_text,
)

LISTING = [
    {"market": "USDT-BTC", "korean_name": "비트코인", "english_name": "Bitcoin"},
    {"market": "BTC-ETH", "korean_name": "이더리움", "english_name": "Ethereum"},
    {"market": "KRW-XRP", "korean_name": "리플", "english_name": "Ripple",
     "market_event": {"warning": False, "caution": {"PRICE_FLUCTUATIONS": True, "TRADING_VOLUME_SOARING": False}}},
    {"market": "KRW-BTC", "korean_name": "비트코인", "english_name": "Bitcoin",
     "market_event": {"warning": True, "caution": {}}},
]


def _ticker(market: str, price: float, rate: float, high: float, low: float) -> dict[str, Any]:
    return {"market": market, "trade_price": price, "signed_change_rate": rate, "high_price": high,
            "low_price": low, "acc_trade_price_24h": price * 1000, "acc_trade_volume_24h": 1000.0,
            "highest_52_week_price": price * 2}


class Store:
    """A settings store as QSettings behaves for one key: what was set comes back."""

    def __init__(self) -> None:
        self.saved: dict[str, Any] = {}

    def value(self, key: str, defaultValue: Any = None) -> Any:
        return self.saved.get(key, defaultValue)

    def setValue(self, key: str, value: Any) -> None:
        self.saved[key] = value


class Events:
    def __init__(self) -> None:
        self.seen: list[tuple[str, Any, int]] = []

    def rows_inserting(self, first: int, last: int) -> None:
        self.seen.append(("inserting", first, last))

    def rows_inserted(self) -> None:
        self.seen.append(("inserted", -1, -1))

    def rows_changed(self, changed: list[int]) -> None:
        self.seen.append(("changed", changed, -1))


def test_market_order_puts_krw_first_then_btc_then_usdt() -> None:
    rows = MarketRows()
    rows.add_markets(LISTING)
    favourites = Favourites()
    ordered = sorted(rows.rows, key=lambda r: sort_value(r, MARKET, favourites))
    assert [r.market for r in ordered] == ["KRW-BTC", "KRW-XRP", "BTC-ETH", "USDT-BTC"]


def test_warning_codes_read_as_words() -> None:
    assert warning_text(LISTING[2]["market_event"]) == "Price swings"
    assert warning_text(LISTING[3]["market_event"]) == "Investment warning"
    assert warning_text({"warning": True, "caution": {"GLOBAL_PRICE_DIFFERENCES": True}}) == (
        "Investment warning, Global price gap"
    )
    assert warning_text(None) == "" and warning_text({"warning": False, "caution": {}}) == ""


def test_filter_matches_code_korean_and_english_names_within_a_quote_tab() -> None:
    rows = MarketRows()
    rows.add_markets(LISTING)
    favourites = Favourites()

    def shown(row_filter: RowFilter) -> list[str]:
        return [r.market for r in rows.rows if row_filter.accepts(r, favourites)]

    assert shown(RowFilter("All", "ethereum")) == ["BTC-ETH"]
    assert shown(RowFilter("All", "bitcoin")) == ["USDT-BTC", "KRW-BTC"]
    assert shown(RowFilter("KRW", "BITCOIN")) == ["KRW-BTC"]
    assert shown(RowFilter("All", "리플")) == ["KRW-XRP"]
    assert shown(RowFilter("KRW", "krw-x")) == ["KRW-XRP"]
    assert shown(RowFilter("USDT")) == ["USDT-BTC"]


def test_tickers_update_rows_in_place_and_announce_one_span() -> None:
    rows = MarketRows()
    events = Events()
    rows.watch(events)
    rows.add_markets(LISTING)
    assert events.seen == [("inserting", 0, 3), ("inserted", -1, -1)]
    changed = rows.update_tickers([_ticker("KRW-XRP", 800, 0.05, 820, 760), _ticker("KRW-BTC", 9e7, -0.01, 9.1e7, 8.8e7)])
    assert changed == 2 and events.seen[-1] == ("changed", [2, 3], -1)
    xrp = rows.rows[rows.row_of("KRW-XRP") or 0]
    assert (xrp.price, xrp.high, xrp.low) == (800, 820, 760)
    assert math.isclose(xrp.change_pct, 5.0) and math.isclose(xrp.from_high_pct, -50.0)
    assert rows.update_tickers([_ticker("KRW-XRP", 800, 0.05, 820, 760)]) == 0  # nothing new
    assert len(events.seen) == 3


def test_favourites_are_remembered_by_their_store_and_filter_the_favourites_tab() -> None:
    store = Store()
    favourites = Favourites(store)
    heard: list[str] = []
    favourites.on_change(heard.append)
    assert favourites.toggle("KRW-XRP") and favourites.toggle("BTC-ETH")
    assert not favourites.toggle("BTC-ETH")
    assert heard == ["KRW-XRP", "BTC-ETH", "BTC-ETH"]
    again = Favourites(store)
    assert list(again) == ["KRW-XRP"]
    rows = MarketRows()
    rows.add_markets(LISTING)
    assert [r.market for r in rows.rows if RowFilter(FAVOURITES_TAB).accepts(r, again)] == ["KRW-XRP"]


def test_a_single_favourite_saved_as_a_list_by_the_store_still_loads() -> None:
    store = Store()
    store.saved["markets/favourites"] = ["KRW-BTC", "KRW-ETH"]
    assert list(Favourites(store)) == ["KRW-BTC", "KRW-ETH"]


def test_export_holds_numbers_not_display_strings() -> None:
    rows = MarketRows()
    rows.add_markets(LISTING)
    rows.update_tickers([_ticker("KRW-BTC", 200_760_000_000 / 1000, -0.0008, 2.1e8, 1.9e8)])
    favourites = Favourites()
    favourites.toggle("KRW-BTC")
    header, body = export_table(rows.rows, SCREENER_COLUMNS, favourites)
    assert header[:5] == ["favourite", "market", "korean_name", "price", "change_pct"]
    btc = body[rows.row_of("KRW-BTC") or 0]
    assert btc[0] is True and btc[1] == "KRW-BTC"
    assert btc[3] == 200_760_000.0 and math.isclose(btc[4], -0.08)
    assert btc[header.index("value_24h")] == 200_760_000_000.0
    assert btc[header.index("day_high")] == 2.1e8
    unpriced = body[rows.row_of("USDT-BTC") or 0]
    assert unpriced[3] is None  # unknown, not "-"
    header, _ = export_table(rows.rows, MARKETS_COLUMNS, favourites)
    assert header == ["favourite", "market", "korean_name", "english_name", "price", "change_pct", "warning"]
