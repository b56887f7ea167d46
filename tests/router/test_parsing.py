"""Every model round-trips the JSON the exchange sends, REST and WebSocket alike; candle pages
read straight into columns equal the same pages read candle by candle, and bad rows are refused."""

from __future__ import annotations

import json
import math
from typing import Any

import aiohttp
import pytest

from backbone.domain.candle_columns import CandleColumns
from backbone.domain.clock import format_to_param
from backbone.domain.errors import MalformedAnswerError, UpstreamError
from backbone.domain.models import Candle, Market, Orderbook, Ticker, Trade, utc_now
from backbone.domain.timeframes import TIMEFRAMES
from backbone.router import SmartRouter


async def _raw(sim: Any, path: str) -> list[dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.get(f"{sim.rest_url}/{path}") as r:
        assert r.status == 200, await r.text()
        return await r.json()


def _assert_same(out: dict[str, Any], raw: dict[str, Any], where: str) -> None:
    """Every field the model gives back equals what the exchange sent."""
    for key, value in out.items():
        if key == "filled":
            continue
        assert key in raw, f"{where}: {key} missing from the exchange's JSON"
        sent = raw[key]
        if isinstance(value, float) or isinstance(sent, float):
            assert math.isclose(value, sent, rel_tol=1e-12, abs_tol=1e-12), (
                f"{where}.{key}: {value} != {sent}"
            )
        elif isinstance(value, list):
            assert len(value) == len(sent), f"{where}.{key}"
            for i, (a, b) in enumerate(zip(value, sent, strict=True)):
                _assert_same(a, b, f"{where}.{key}[{i}]")
        elif isinstance(value, dict):
            _assert_same(value, sent, f"{where}.{key}")
        else:
            assert value == sent and type(value) is type(sent), (
                f"{where}.{key}: {value!r} != {sent!r}"
            )


async def test_markets_round_trip(simulator: Any) -> None:
    for raw in await _raw(simulator, "market/all?is_details=true"):
        _assert_same(Market.from_upbit(raw).to_upbit(details=True), raw, raw["market"])
    for raw in await _raw(simulator, "market/all"):
        _assert_same(Market.from_upbit(raw).to_upbit(), raw, raw["market"])


@pytest.mark.parametrize("code", list(TIMEFRAMES))
async def test_candles_round_trip(simulator: Any, code: str) -> None:
    tf = TIMEFRAMES[code]
    raws = await _raw(simulator, f"candles/{tf.path}?market=KRW-BTC&count=20")
    assert raws
    for raw in raws:
        _assert_same(Candle.from_upbit(raw, tf).to_upbit(), raw, f"{code} candle")


@pytest.mark.parametrize("code", list(TIMEFRAMES))
async def test_a_page_read_into_columns_equals_the_page_read_candle_by_candle(
    simulator: Any, code: str
) -> None:
    tf = TIMEFRAMES[code]
    to = format_to_param(tf.floor(utc_now()))  # closed candles only: the router's answer is the same page
    raws = await _raw(simulator, f"candles/{tf.path}?market=KRW-BTC&count=200&to={to}")
    assert raws
    by_candle = CandleColumns.from_candles("KRW-BTC", tf, [Candle.from_upbit(raw, tf) for raw in raws])

    columns = CandleColumns.from_upbit("KRW-BTC", tf, raws)

    assert columns.equals(by_candle), code
    assert len(columns) == len(raws)
    async with SmartRouter(simulator.rest_url, simulator.ws_url) as router:
        page = await router.fetch_candles("KRW-BTC", tf, count=200, to=tf.floor(utc_now()))
    assert page.candles.equals(by_candle), code


async def test_a_repeated_start_keeps_its_last_row_as_from_candles_does(simulator: Any) -> None:
    tf = TIMEFRAMES["1m"]
    raws = await _raw(simulator, f"candles/{tf.path}?market=KRW-BTC&count=10")
    again = {**raws[4], "trade_price": raws[4]["trade_price"] + 1.0}
    rows = [*raws, again]

    columns = CandleColumns.from_upbit("KRW-BTC", tf, rows)

    assert columns.equals(CandleColumns.from_candles("KRW-BTC", tf, [Candle.from_upbit(r, tf) for r in rows]))
    assert len(columns) == 10 and again["trade_price"] in columns.close.tolist()
    assert CandleColumns.from_upbit("KRW-BTC", tf, []).equals(CandleColumns.empty("KRW-BTC", tf))


def _spoil(rows: list[dict[str, Any]], how: str) -> tuple[str, str]:
    """Spoil row 3 of a 1m page as ``how`` says; the timeframe to read it as and the field at fault."""
    row = rows[3]
    if how == "another market":
        row["market"] = "KRW-ETH"
        return "1m", "market"
    if how == "a start off the minute":
        row["candle_date_time_utc"] = row["candle_date_time_utc"][:-2] + "30"
        return "1m", "candle_date_time_utc"
    if how == "minutes read as 5m":
        return "5m", "candle_date_time_utc"
    if how == "a start with a zone":
        row["candle_date_time_utc"] += "+09:00"
        return "1m", "candle_date_time_utc"
    if how == "a start that is no time":
        row["candle_date_time_utc"] = "2025-13-45T99:00:00"
        return "1m", "candle_date_time_utc"
    if how == "a missing close":
        del row["trade_price"]
        return "1m", "trade_price"
    if how == "a NaN high":
        row["high_price"] = math.nan
        return "1m", "high_price"
    if how == "a null low":
        row["low_price"] = None
        return "1m", "low_price"
    if how == "an infinite volume":
        row["candle_acc_trade_volume"] = math.inf
        return "1m", "candle_acc_trade_volume"
    if how == "a price as a word":
        row["opening_price"] = "cheap"
        return "1m", "opening_price"
    if how == "a timestamp that is no number":
        row["timestamp"] = {"ms": 1}
        return "1m", "timestamp"
    raise AssertionError(how)


SPOILS = (
    "another market",
    "a start off the minute",
    "minutes read as 5m",
    "a start with a zone",
    "a start that is no time",
    "a missing close",
    "a NaN high",
    "a null low",
    "an infinite volume",
    "a price as a word",
    "a timestamp that is no number",
)


@pytest.mark.parametrize("how", SPOILS)
async def test_a_malformed_row_is_refused_naming_its_field(simulator: Any, how: str) -> None:
    rows = await _raw(simulator, "candles/minutes/1?market=KRW-BTC&count=20")
    code, field = _spoil(rows, how)

    with pytest.raises(MalformedAnswerError) as refused:
        CandleColumns.from_upbit("KRW-BTC", code, rows)

    assert refused.value.field == field
    assert field in str(refused.value)
    if how != "minutes read as 5m":  # there the first row off the 5m grid may come earlier
        assert refused.value.row == 3
    assert isinstance(refused.value, UpstreamError) and refused.value.status == 200


async def test_an_answer_that_is_not_an_array_of_objects_is_refused() -> None:
    for answer, field in (({"error": {"name": 500}}, "rows"), ([["KRW-BTC"]], "rows")):
        with pytest.raises(MalformedAnswerError) as refused:
            CandleColumns.from_upbit("KRW-BTC", "1m", answer)  # type: ignore[arg-type]
        assert refused.value.field == field


async def test_a_candle_answer_with_a_foreign_row_is_retried_and_never_kept(
    simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = simulator.rest.candles.minutes
    answers = 0

    def first_answer_has_a_foreign_row(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        nonlocal answers
        answers += 1
        rows = [dict(row) for row in real(*args, **kwargs)]
        if answers == 1:
            rows[2]["market"] = "KRW-ETH"
        return rows

    monkeypatch.setattr(simulator.rest.candles, "minutes", first_answer_has_a_foreign_row)
    async with SmartRouter(simulator.rest_url, simulator.ws_url) as router:
        page = await router.fetch_candles("KRW-BTC", "1m", count=20)
        retries = router.stats().retries

    assert answers == 2 and retries == 1
    assert page.candles.market == "KRW-BTC" and len(page) == 20


async def test_a_candle_answer_that_stays_malformed_fails_as_unreadable(
    simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = simulator.rest.candles.minutes

    def always_off_the_minute(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        rows = [dict(row) for row in real(*args, **kwargs)]
        rows[0]["candle_date_time_utc"] = rows[0]["candle_date_time_utc"][:-2] + "07"
        return rows

    monkeypatch.setattr(simulator.rest.candles, "minutes", always_off_the_minute)
    async with SmartRouter(simulator.rest_url, simulator.ws_url) as router:
        with pytest.raises(UpstreamError) as failed:
            await router.fetch_candles("KRW-BTC", "1m", count=20)
        retries = router.stats().retries

    assert failed.value.code == "UPSTREAM_UNAVAILABLE" and failed.value.status == 200
    assert "candle_date_time_utc" in failed.value.message
    assert retries >= 1


async def test_tickers_orderbooks_and_trades_round_trip(simulator: Any) -> None:
    for raw in await _raw(simulator, "ticker?markets=KRW-BTC,KRW-ETH,BTC-ETH"):
        _assert_same(Ticker.from_upbit(raw).to_upbit(), raw, "ticker")
    for raw in await _raw(simulator, "ticker/all?quote_currencies=KRW"):
        _assert_same(Ticker.from_upbit(raw).to_upbit(), raw, "ticker/all")
    for raw in await _raw(simulator, "orderbook?markets=KRW-BTC,KRW-XRP"):
        _assert_same(Orderbook.from_upbit(raw).to_upbit(), raw, "orderbook")
    for raw in await _raw(simulator, "trades/ticks?market=KRW-BTC&count=50"):
        _assert_same(Trade.from_upbit(raw).to_upbit(), raw, "trade")


async def test_websocket_messages_parse_into_the_same_models(simulator: Any) -> None:
    request = [
        {"ticket": "round-trip"},
        {"type": "ticker", "codes": ["KRW-BTC"]},
        {"type": "orderbook", "codes": ["KRW-BTC"]},
        {"type": "trade", "codes": ["KRW-BTC"]},
        {"format": "DEFAULT"},
    ]
    seen: dict[str, Any] = {}
    async with aiohttp.ClientSession() as session, session.ws_connect(simulator.ws_url) as ws:
        await ws.send_str(json.dumps(request))
        while len(seen) < 3:
            message = await ws.receive(timeout=10)
            assert message.type == aiohttp.WSMsgType.BINARY  # Upbit sends binary frames
            item = json.loads(message.data)
            seen.setdefault(item["type"], item)
    ticker = Ticker.from_upbit(seen["ticker"])
    assert ticker.market == "KRW-BTC"
    held = set(Ticker.__dataclass_fields__) - {"market"}  # WebSocket names the market ``code``
    out = {k: v for k, v in ticker.to_upbit().items() if k in held}
    _assert_same(out, seen["ticker"], "ws ticker")
    book = Orderbook.from_upbit(seen["orderbook"])
    assert book.market == "KRW-BTC" and book.units
    trade = Trade.from_upbit(seen["trade"])
    assert trade.market == "KRW-BTC" and trade.sequential_id == seen["trade"]["sequential_id"]


async def test_router_fetches_parse_into_models(simulator: Any) -> None:
    async with SmartRouter(simulator.rest_url, simulator.ws_url) as router:
        markets = await router.fetch_markets(details=True)
        assert len([m for m in markets if m.quote == "KRW"]) >= 150
        assert {t.market for t in await router.fetch_all_tickers(["KRW"])} == {
            m.market for m in markets if m.quote == "KRW"
        }
        trades = await router.fetch_trades("KRW-BTC", count=30)
        assert len(trades) == 30
        older = await router.fetch_trades("KRW-BTC", count=30, cursor=trades[-1].sequential_id)
        assert older and older[0].timestamp <= trades[-1].timestamp
        books = await router.fetch_orderbooks(["KRW-BTC"], count=5)
        assert len(books[0].units) == 5
