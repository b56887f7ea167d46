"""Every REST endpoint answers with Upbit's fields, JSON types, defaults and errors."""

from __future__ import annotations

import re

from backbone.sim import ExchangeSimulator
from tests.sim.conftest import Http

NAIVE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
CANDLE_FIELDS = [
    "market",
    "candle_date_time_utc",
    "candle_date_time_kst",
    "opening_price",
    "high_price",
    "low_price",
    "trade_price",
    "timestamp",
    "candle_acc_trade_price",
    "candle_acc_trade_volume",
]


def assert_candle_types(candle: dict) -> None:
    assert NAIVE.match(candle["candle_date_time_utc"])
    assert NAIVE.match(candle["candle_date_time_kst"])
    for key in (
        "opening_price",
        "high_price",
        "low_price",
        "trade_price",
        "candle_acc_trade_price",
        "candle_acc_trade_volume",
    ):
        assert isinstance(candle[key], float), key
    assert isinstance(candle["timestamp"], int)
    assert candle["low_price"] <= min(candle["opening_price"], candle["trade_price"])
    assert candle["high_price"] >= max(candle["opening_price"], candle["trade_price"])


async def test_market_all_lists_about_190_krw_markets_with_names_and_optional_events(
    simulator: ExchangeSimulator, http: Http
) -> None:
    plain = await http.ok(simulator.rest_url + "/market/all")
    assert list(plain[0]) == ["market", "korean_name", "english_name"]
    assert plain[0] == {"market": "KRW-BTC", "korean_name": "비트코인", "english_name": "Bitcoin"}
    quotes = [m["market"].split("-")[0] for m in plain]
    assert 185 <= quotes.count("KRW") <= 195
    assert quotes.count("BTC") > 20 and quotes.count("USDT") > 10
    assert len({m["market"] for m in plain}) == len(plain)
    assert simulator.market_codes("KRW") == [
        m["market"] for m in plain if m["market"].startswith("KRW-")
    ]
    for spelling in ("is_details", "isDetails"):
        detailed = await http.ok(simulator.rest_url + "/market/all", **{spelling: "true"})
        event = detailed[0]["market_event"]
        assert isinstance(event["warning"], bool)
        assert set(event["caution"]) == {
            "PRICE_FLUCTUATIONS",
            "TRADING_VOLUME_SOARING",
            "DEPOSIT_AMOUNT_SOARING",
            "GLOBAL_PRICE_DIFFERENCES",
            "CONCENTRATION_OF_SMALL_ACCOUNTS",
        }


async def test_minute_candles_carry_upbit_fields_types_and_unit(
    simulator: ExchangeSimulator, http: Http
) -> None:
    for unit in (1, 3, 5, 10, 15, 30, 60, 240):
        candles = await http.ok(
            f"{simulator.rest_url}/candles/minutes/{unit}", market="KRW-BTC", count=3
        )
        assert len(candles) == 3
        for candle in candles:
            assert list(candle) == [*CANDLE_FIELDS, "unit"]
            assert candle["unit"] == unit
            assert_candle_types(candle)


async def test_count_defaults_to_one_and_seconds_have_no_unit(
    simulator: ExchangeSimulator, http: Http
) -> None:
    one = await http.ok(simulator.rest_url + "/candles/minutes/1", market="KRW-ETH")
    assert len(one) == 1
    seconds = await http.ok(simulator.rest_url + "/candles/seconds", market="KRW-BTC", count=5)
    assert len(seconds) == 5 and list(seconds[0]) == CANDLE_FIELDS
    assert seconds[0]["candle_date_time_utc"] > seconds[-1]["candle_date_time_utc"]
    old = await http.ok(
        simulator.rest_url + "/candles/seconds",
        market="KRW-BTC",
        count=5,
        to="2024-01-01T00:00:00Z",
    )
    assert old == []  # about three months of second candles only


async def test_day_week_month_year_candles_add_their_fields(
    simulator: ExchangeSimulator, http: Http
) -> None:
    days = await http.ok(simulator.rest_url + "/candles/days", market="KRW-BTC", count=2)
    assert list(days[0]) == [*CANDLE_FIELDS, "prev_closing_price", "change_price", "change_rate"]
    assert days[0]["prev_closing_price"] == days[1]["trade_price"]
    assert (
        abs(days[0]["change_price"] - (days[0]["trade_price"] - days[0]["prev_closing_price"]))
        < 1e-6
    )
    assert days[0]["candle_date_time_utc"].endswith("T00:00:00")
    assert days[0]["candle_date_time_kst"].endswith("T09:00:00")
    converted = await http.ok(
        simulator.rest_url + "/candles/days", market="BTC-ETH", count=1, converting_price_unit="KRW"
    )
    assert converted[0]["converted_trade_price"] > converted[0]["trade_price"] * 1e6
    for kind in ("weeks", "months", "years"):
        rows = await http.ok(f"{simulator.rest_url}/candles/{kind}", market="KRW-XRP", count=2)
        assert list(rows[0]) == [*CANDLE_FIELDS, "first_day_of_period"]
        assert rows[0]["first_day_of_period"] == rows[0]["candle_date_time_utc"][:10]
        assert_candle_types(rows[0])
    weeks = await http.ok(simulator.rest_url + "/candles/weeks", market="KRW-XRP", count=3)
    from datetime import date

    assert all(date.fromisoformat(w["first_day_of_period"]).weekday() == 0 for w in weeks)


async def test_ticker_and_ticker_all_fields_and_types(
    simulator: ExchangeSimulator, http: Http
) -> None:
    tickers = await http.ok(simulator.rest_url + "/ticker", markets="KRW-BTC,KRW-ETH")
    assert [t["market"] for t in tickers] == ["KRW-BTC", "KRW-ETH"]
    t = tickers[0]
    assert list(t) == [
        "market",
        "trade_date",
        "trade_time",
        "trade_date_kst",
        "trade_time_kst",
        "trade_timestamp",
        "opening_price",
        "high_price",
        "low_price",
        "trade_price",
        "prev_closing_price",
        "change",
        "change_price",
        "change_rate",
        "signed_change_price",
        "signed_change_rate",
        "trade_volume",
        "acc_trade_price",
        "acc_trade_price_24h",
        "acc_trade_volume",
        "acc_trade_volume_24h",
        "highest_52_week_price",
        "highest_52_week_date",
        "lowest_52_week_price",
        "lowest_52_week_date",
        "timestamp",
    ]
    assert re.match(r"^\d{8}$", t["trade_date"]) and re.match(r"^\d{6}$", t["trade_time"])
    assert t["change"] in ("RISE", "EVEN", "FALL")
    assert isinstance(t["timestamp"], int) and isinstance(t["trade_timestamp"], int)
    assert t["lowest_52_week_price"] <= t["low_price"] <= t["trade_price"] <= t["high_price"]
    assert t["high_price"] <= t["highest_52_week_price"]
    assert 1e7 < t["trade_price"] < 1e10  # KRW-BTC in the hundreds of millions
    everything = await http.ok(simulator.rest_url + "/ticker/all", quote_currencies="KRW,BTC")
    codes = {row["market"] for row in everything}
    assert codes == set(simulator.market_codes("KRW")) | set(simulator.market_codes("BTC"))
    status, body, _ = await http.get(simulator.rest_url + "/ticker/all")
    assert status == 400 and "quote_currencies" in body["error"]["message"]


async def test_small_coins_trade_below_one_krw_on_the_tick_grid(
    simulator: ExchangeSimulator, http: Http
) -> None:
    pepe = (await http.ok(simulator.rest_url + "/ticker", markets="KRW-PEPE"))[0]
    assert pepe["trade_price"] < 1.0
    btc = (await http.ok(simulator.rest_url + "/ticker", markets="KRW-BTC"))[0]
    assert btc["trade_price"] % 1000 == 0  # 1,000 KRW ticks above 1,000,000 KRW


async def test_orderbook_units_count_and_levels(simulator: ExchangeSimulator, http: Http) -> None:
    books = await http.ok(simulator.rest_url + "/orderbook", markets="KRW-BTC,BTC-ETH")
    assert [b["market"] for b in books] == ["KRW-BTC", "BTC-ETH"]
    book = books[0]
    assert list(book) == [
        "market",
        "timestamp",
        "total_ask_size",
        "total_bid_size",
        "orderbook_units",
        "level",
    ]
    assert len(book["orderbook_units"]) == 30
    unit = book["orderbook_units"][0]
    assert list(unit) == ["ask_price", "bid_price", "ask_size", "bid_size"]
    assert unit["bid_price"] < unit["ask_price"]
    asks = [u["ask_price"] for u in book["orderbook_units"]]
    assert asks == sorted(asks)
    assert abs(book["total_ask_size"] - sum(u["ask_size"] for u in book["orderbook_units"])) < 1e-6
    five = await http.ok(simulator.rest_url + "/orderbook", markets="KRW-BTC", count=5)
    assert len(five[0]["orderbook_units"]) == 5
    instruments = await http.ok(
        simulator.rest_url + "/orderbook/instruments", markets="KRW-BTC,BTC-ETH"
    )
    assert instruments[0] == {
        "market": "KRW-BTC",
        "quote_currency": "KRW",
        "tick_size": "1000",
        "supported_levels": instruments[0]["supported_levels"],
    }
    level = instruments[0]["supported_levels"][1]
    grouped = await http.ok(simulator.rest_url + "/orderbook", markets="KRW-BTC", level=level)
    assert grouped[0]["level"] == float(level)
    assert all(u["ask_price"] % float(level) == 0 for u in grouped[0]["orderbook_units"])
    assert await http.ok(simulator.rest_url + "/orderbook", markets="BTC-ETH", level=level) == []
    assert await http.ok(simulator.rest_url + "/orderbook", markets="KRW-BTC", level="7") == []
    status, _, _ = await http.get(simulator.rest_url + "/orderbook", markets="KRW-BTC", count=31)
    assert status == 400


async def test_trades_ticks_fields_order_count_cursor_and_days_ago(
    simulator: ExchangeSimulator, http: Http
) -> None:
    url = simulator.rest_url + "/trades/ticks"
    one = await http.ok(url, market="KRW-ETH")
    assert len(one) == 1
    assert list(one[0]) == [
        "market",
        "trade_date_utc",
        "trade_time_utc",
        "timestamp",
        "trade_price",
        "trade_volume",
        "prev_closing_price",
        "change_price",
        "ask_bid",
        "sequential_id",
    ]
    assert isinstance(one[0]["sequential_id"], int) and one[0]["ask_bid"] in ("ASK", "BID")
    # Without days_ago only the latest trade date is served: just after 00:00 UTC it
    # holds a handful of trades, so the full page is asked of yesterday.
    page = await http.ok(url, market="KRW-ETH", count=500, days_ago=1)
    assert len(page) == 500
    stamps = [t["timestamp"] for t in page]
    assert stamps == sorted(stamps, reverse=True)
    more = await http.ok(url, market="KRW-ETH", count=100, cursor=page[-1]["sequential_id"], days_ago=1)
    assert more[0]["timestamp"] <= page[-1]["timestamp"]
    assert not {t["sequential_id"] for t in more} & {t["sequential_id"] for t in page}
    early = await http.ok(url, market="KRW-ETH", count=5, to="01:00:00", days_ago=1)
    assert all(t["trade_time_utc"] < "01:00:00" for t in early)
    assert len({t["trade_date_utc"] for t in early}) == 1
    same = await http.ok(url, market="KRW-ETH", count=5, to="010000", days_ago=1)
    assert same == early
    for bad in ({"count": 501}, {"days_ago": 8}, {"to": "25:00:00"}):
        status, body, _ = await http.get(url, market="KRW-ETH", **bad)
        assert status == 400 and next(iter(bad)) in body["error"]["message"]


async def test_bad_requests_answer_like_upbit(simulator: ExchangeSimulator, http: Http) -> None:
    base = simulator.rest_url
    cases = [
        (base + "/candles/minutes/1", {"market": "KRW-NOPE"}, 404),
        (base + "/candles/minutes/2", {"market": "KRW-BTC"}, 400),
        (base + "/candles/minutes/1", {"market": "KRW-BTC", "count": 201}, 400),
        (base + "/candles/minutes/1", {"market": "KRW-BTC", "count": 0}, 400),
        (base + "/candles/minutes/1", {"market": "KRW-BTC", "to": "yesterday"}, 400),
        (base + "/candles/days", {}, 400),
        (base + "/ticker", {}, 400),
        (base + "/ticker", {"markets": "KRW-BTC,KRW-NOPE"}, 404),
        (base + "/orderbook", {"markets": "XYZ"}, 404),
        (base + "/trades/ticks", {}, 400),
    ]
    for url, params, expected in cases:
        status, body, headers = await http.get(url, **params)
        assert status == expected, (url, params, body)
        assert set(body) == {"error"} and set(body["error"]) == {"name", "message"}
        assert "Remaining-Req" in headers
