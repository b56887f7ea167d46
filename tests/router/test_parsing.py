"""Every model round-trips the JSON the exchange sends, REST and WebSocket alike."""

from __future__ import annotations

import json
import math
from typing import Any

import aiohttp
import pytest

from backbone.domain.models import Candle, Market, Orderbook, Ticker, Trade
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
