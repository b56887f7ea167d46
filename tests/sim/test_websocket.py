"""The quotation WebSocket: Upbit's request format, streams, formats, limits and errors."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from itertools import pairwise
from typing import Any

import aiohttp
import pytest

from backbone.sim import ExchangeSimulator


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def receive_json(ws: aiohttp.ClientWebSocketResponse, wait_s: float = 5.0) -> Any:
    msg = await ws.receive(timeout=wait_s)
    assert msg.type == aiohttp.WSMsgType.BINARY, msg  # Upbit sends UTF-8 JSON in binary frames
    return json.loads(msg.data.decode("utf-8"))


async def collect(ws: aiohttp.ClientWebSocketResponse, seconds: float) -> list[Any]:
    out: list[Any] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            out.append(await receive_json(ws, wait_s=left))
        except TimeoutError:
            break
    return out


async def test_default_format_snapshot_then_realtime_with_upbit_fields(
    simulator: ExchangeSimulator, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(simulator.ws_url) as ws:
        await ws.send_str(
            json.dumps(
                [
                    {"ticket": "test"},
                    {"type": "ticker", "codes": ["KRW-BTC"]},
                    {"type": "trade", "codes": ["KRW-BTC"]},
                    {"type": "orderbook", "codes": ["KRW-BTC.5"]},
                    {"type": "candle.1m", "codes": ["KRW-BTC"]},
                    {"format": "DEFAULT"},
                ]
            )
        )
        messages = await collect(ws, 2.0)
    kinds = {(m["type"], m["stream_type"]) for m in messages}
    for kind in ("ticker", "trade", "orderbook", "candle.1m"):
        assert (kind, "SNAPSHOT") in kinds
    assert ("orderbook", "REALTIME") in kinds and ("trade", "REALTIME") in kinds
    ticker = next(m for m in messages if m["type"] == "ticker")
    assert ticker["code"] == "KRW-BTC" and "market" not in ticker
    for field in (
        "ask_bid",
        "acc_ask_volume",
        "acc_bid_volume",
        "market_state",
        "market_warning",
        "delisting_date",
        "timestamp",
        "trade_price",
        "signed_change_rate",
    ):
        assert field in ticker
    trade = next(m for m in messages if m["type"] == "trade")
    for field in (
        "trade_date",
        "trade_time",
        "trade_timestamp",
        "sequential_id",
        "best_ask_price",
        "best_ask_size",
        "best_bid_price",
        "best_bid_size",
    ):
        assert field in trade
    book = next(m for m in messages if m["type"] == "orderbook")
    assert len(book["orderbook_units"]) == 5
    candle = next(m for m in messages if m["type"] == "candle.1m")
    assert "candle_date_time_utc" in candle
    realtime = [m for m in messages if m["stream_type"] == "REALTIME"]
    assert len(realtime) >= 4  # several pushes a second


async def test_realtime_trades_match_the_rest_trades(
    simulator: ExchangeSimulator, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(simulator.ws_url) as ws:
        await ws.send_str(
            json.dumps(
                [{"ticket": "t"}, {"type": "trade", "codes": ["KRW-XRP"], "is_only_realtime": True}]
            )
        )
        pushed = [m for m in await collect(ws, 2.5) if m["type"] == "trade"]
    assert pushed and all(m["stream_type"] == "REALTIME" for m in pushed)
    async with session.get(
        simulator.rest_url + "/trades/ticks", params={"market": "KRW-XRP", "count": 200}
    ) as r:
        rest = {t["sequential_id"]: t for t in await r.json()}
    for m in pushed:
        assert rest[m["sequential_id"]]["trade_price"] == m["trade_price"]


async def test_simple_format_uses_short_keys(
    simulator: ExchangeSimulator, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(simulator.ws_url) as ws:
        await ws.send_str(
            json.dumps(
                [{"ticket": "t"}, {"type": "ticker", "codes": ["KRW-ETH"]}, {"format": "SIMPLE"}]
            )
        )
        message = await receive_json(ws)
    assert message["ty"] == "ticker" and message["cd"] == "KRW-ETH" and message["st"] == "SNAPSHOT"
    assert isinstance(message["tp"], float) and "trade_price" not in message


async def test_list_formats_send_arrays(
    simulator: ExchangeSimulator, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(simulator.ws_url) as ws:
        await ws.send_str(
            json.dumps(
                [
                    {"ticket": "t"},
                    {"type": "ticker", "codes": ["KRW-ETH", "KRW-BTC"]},
                    {"format": "SIMPLE_LIST"},
                ]
            )
        )
        batch = await receive_json(ws)
    assert isinstance(batch, list) and {m["cd"] for m in batch} == {"KRW-ETH", "KRW-BTC"}


async def test_only_snapshot_sends_once_and_old_spelling_is_accepted(
    simulator: ExchangeSimulator, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(simulator.ws_url) as ws:
        await ws.send_str(
            json.dumps(
                [
                    {"ticket": "t"},
                    {"type": "orderbook", "codes": ["KRW-BTC"], "isOnlySnapshot": True},
                ]
            )
        )
        messages = await collect(ws, 1.0)
    assert len(messages) == 1 and messages[0]["stream_type"] == "SNAPSHOT"


async def test_a_new_request_replaces_the_subscription_set_and_list_subscriptions_shows_it(
    simulator: ExchangeSimulator, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(simulator.ws_url) as ws:
        await ws.send_str(
            json.dumps([{"ticket": "t"}, {"type": "orderbook", "codes": ["KRW-BTC"]}])
        )
        await receive_json(ws)
        await ws.send_str(
            json.dumps([{"ticket": "t"}, {"type": "orderbook", "codes": ["KRW-ETH.15"]}])
        )
        await asyncio.sleep(0.3)
        await collect(ws, 0.2)  # drain anything already in flight
        later = await collect(ws, 1.0)
        assert later and {m["code"] for m in later} == {"KRW-ETH"}
        await ws.send_str(json.dumps([{"ticket": "list"}, {"method": "LIST_SUBSCRIPTIONS"}]))
        for _ in range(50):
            reply = await receive_json(ws)
            if reply.get("method") == "LIST_SUBSCRIPTIONS":
                break
        assert reply == {
            "method": "LIST_SUBSCRIPTIONS",
            "ticket": "list",
            "result": [{"type": "orderbook", "codes": ["KRW-ETH.15"]}],
        }


async def test_text_ping_and_ping_frames_are_answered(
    simulator: ExchangeSimulator, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(simulator.ws_url, autoping=False) as ws:
        await ws.send_str("PING")
        assert await receive_json(ws) == {"status": "UP"}
        await ws.ping(b"hello")
        msg = await ws.receive(timeout=5)
        assert msg.type == aiohttp.WSMsgType.PONG and msg.data == b"hello"


@pytest.mark.parametrize(
    "request_text,name",
    [
        ("not json", "WRONG_FORMAT"),
        (json.dumps({"ticket": "t"}), "WRONG_FORMAT"),
        (json.dumps([{"type": "ticker", "codes": ["KRW-BTC"]}]), "NO_TICKET"),
        (json.dumps([{"ticket": "t"}]), "NO_TYPE"),
        (json.dumps([{"ticket": "t"}, {"type": "ticker"}]), "NO_CODES"),
        (json.dumps([{"ticket": "t"}, {"type": "ticker", "codes": []}]), "INVALID_PARAM"),
        (json.dumps([{"ticket": "t"}, {"type": "tickers", "codes": ["KRW-BTC"]}]), "INVALID_PARAM"),
        (json.dumps([{"ticket": "t"}, {"type": "ticker", "codes": ["KRW-NOPE"]}]), "INVALID_PARAM"),
        (
            json.dumps(
                [{"ticket": "t"}, {"type": "ticker", "codes": ["KRW-BTC"]}, {"format": "XML"}]
            ),
            "INVALID_PARAM",
        ),
    ],
)
async def test_bad_requests_get_upbit_error_messages(
    simulator: ExchangeSimulator, session: aiohttp.ClientSession, request_text: str, name: str
) -> None:
    async with session.ws_connect(simulator.ws_url) as ws:
        await ws.send_str(request_text)
        reply = await receive_json(ws)
    assert reply["error"]["name"] == name and reply["error"]["message"]


async def test_message_and_connection_limits(
    make_simulator, session: aiohttp.ClientSession
) -> None:
    sim = await make_simulator()
    async with session.ws_connect(sim.ws_url) as ws:
        for _ in range(6):
            await ws.send_str(
                json.dumps(
                    [
                        {"ticket": "t"},
                        {"type": "ticker", "codes": ["KRW-BTC"], "is_only_snapshot": True},
                    ]
                )
            )
        replies = await collect(ws, 0.5)
    assert sum(1 for r in replies if "error" in r) == 1
    await asyncio.sleep(1.0)
    opened = []
    try:
        for _ in range(5):
            opened.append(await session.ws_connect(sim.ws_url))
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(sim.ws_url)
        assert refused.value.status == 429
    finally:
        for ws in opened:
            await ws.close()


async def test_idle_connections_are_closed_but_busy_ones_stay(
    make_simulator, session: aiohttp.ClientSession
) -> None:
    sim = await make_simulator(ws_idle_timeout_s=0.4)
    async with session.ws_connect(sim.ws_url, autoping=False) as ws:
        msg = await ws.receive(timeout=3)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    async with session.ws_connect(sim.ws_url) as ws:
        await ws.send_str(
            json.dumps([{"ticket": "t"}, {"type": "orderbook", "codes": ["KRW-BTC"]}])
        )
        messages = await collect(ws, 1.2)  # order books flow several times a second
        assert len(messages) >= 3 and not ws.closed


async def test_changing_subscriptions_loses_no_trade_of_a_stream_that_stays(
    simulator: ExchangeSimulator, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(simulator.ws_url) as ws:
        trade = {"type": "trade", "codes": ["KRW-BTC"], "is_only_realtime": True}
        await ws.send_str(json.dumps([{"ticket": "a"}, trade]))
        received = await collect(ws, 1.0)
        for ticket in range(12):  # each change arrives between two pushes (within 5 requests a second)
            await ws.send_str(json.dumps([{"ticket": str(ticket)}, trade, {"type": "orderbook", "codes": ["KRW-BTC"]}]))
            received += await collect(ws, 0.25)
    assert not [m for m in received if "error" in m]
    ids = sorted({m["sequential_id"] for m in received if m["type"] == "trade"})
    async with session.get(
        f"{simulator.rest_url}/trades/ticks", params={"market": "KRW-BTC", "count": "500"}
    ) as response:
        listed = {t["sequential_id"] for t in await response.json()}
    between = {i for i in listed if ids[0] <= i <= ids[-1]}
    assert len(ids) >= 2
    assert between - set(ids) == set()


async def test_a_candle_stream_sends_each_changed_candle_whole_stamped_with_the_exchanges_time(
    simulator: ExchangeSimulator, session: aiohttp.ClientSession
) -> None:
    minute_ms = 60_000
    start = (int(time.time() * 1000) // minute_ms - 30) * minute_ms  # half an hour ago, on the minute
    clock = [start + 30_000]
    simulator.use_clock(lambda: clock[0])
    async with session.ws_connect(simulator.ws_url) as ws:
        await ws.send_str(json.dumps([{"ticket": "t"}, {"type": "candle.1m", "codes": ["KRW-BTC"]}]))
        snapshot = await receive_json(ws)
        assert snapshot["stream_type"] == "SNAPSHOT" and snapshot["timestamp"] == clock[0]
        clock[0] += 60_000  # the minute closes 30 s before the next push: it and the new one changed
        closing, opening = await receive_json(ws), await receive_json(ws)
        async with session.get(
            simulator.rest_url + "/candles/minutes/1",
            params={"market": "KRW-BTC", "count": "2"},
        ) as r:
            newest_first = await r.json()
    fields = ("candle_date_time_utc", "opening_price", "high_price", "low_price", "trade_price",
              "candle_acc_trade_volume", "candle_acc_trade_price")
    # The closed minute's last message is its final candle; the new one is whole so far; both carry
    # the exchange's time of sending, not a trade's.
    assert [closing[f] for f in fields] == [newest_first[1][f] for f in fields]
    assert [opening[f] for f in fields] == [newest_first[0][f] for f in fields]
    assert closing["timestamp"] == opening["timestamp"] == clock[0]
    assert closing["candle_date_time_utc"] == snapshot["candle_date_time_utc"]


async def test_a_candle_stream_sends_at_most_once_a_second(
    simulator: ExchangeSimulator, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(simulator.ws_url) as ws:
        await ws.send_str(
            json.dumps([{"ticket": "t"}, {"type": "candle.1s", "codes": ["KRW-BTC"]},
                        {"type": "candle.1m", "codes": ["KRW-BTC"]}, {"type": "trade", "codes": ["KRW-BTC"]}])
        )
        messages = await collect(ws, 3.5)
    trades = [m for m in messages if m["type"] == "trade" and m["stream_type"] == "REALTIME"]
    assert len(trades) > 3  # the market traded more often than the candle streams may send
    for kind in ("candle.1s", "candle.1m"):
        sent = sorted({m["timestamp"] for m in messages if m["type"] == kind and m["stream_type"] == "REALTIME"})
        assert sent and all(b - a >= 1000 for a, b in pairwise(sent))
