"""Upbit's quotation WebSocket: request format, snapshots, realtime pushes, limits and errors.

One request (a JSON array: ticket, type blocks, optional format) replaces the
connection's whole subscription set. Data goes out in binary frames of UTF-8 JSON,
built from the same records as the REST answers, so both always agree.

Candle streams follow Upbit's candle documentation: a stream sends at most once a
second, only when trades changed a candle, each message the whole candle so far
(so one candle may be sent many times, the last one received being the newest),
and a slot without trades has no candle. A push that finds trades in several slots
sends every changed candle, oldest first, so a slot's last change is never skipped.
Every message's ``timestamp`` is the exchange's time when it was sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from backbone.sim.candles import CandleBook
from backbone.sim.formats import (
    FORMATS,
    candle_message,
    orderbook_message,
    simplify,
    ticker_message,
    trade_message,
)
from backbone.sim.markets import Catalogue, SimMarket
from backbone.sim.quotes import ORDERBOOK_UNITS, QuoteDesk
from backbone.sim.timefmt import MINUTE_MS, now_ms

CANDLE_TYPES = {
    "candle.1s": 0,
    "candle.1m": 1,
    "candle.3m": 3,
    "candle.5m": 5,
    "candle.10m": 10,
    "candle.15m": 15,
    "candle.30m": 30,
    "candle.60m": 60,
    "candle.240m": 240,
}
TYPES = ("ticker", "trade", "orderbook", *CANDLE_TYPES)
ORDERBOOK_COUNTS = (1, 5, 15, 30)
CONNECTIONS_PER_S = 5
MESSAGES_PER_S = 5
MESSAGES_PER_MIN = 100
ORDERBOOK_REFRESH_MS = 250
CANDLE_PUSH_MS = 1_000  # a candle stream sends at most once a second
CANDLE_PUSH_SLOTS = 200  # changed candles sent at most in one push (after a long silence)
TRADES_PER_PUSH = 200
# Upbit's own error messages (its documentation gives them in Korean).
WRONG_FORMAT_MESSAGE = "Format 이 맞지 않습니다."


class RequestError(Exception):
    """A request the exchange refuses, with Upbit's error name."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


@dataclass(slots=True)
class Subscription:
    """One type block of a request."""

    type: str
    codes: list[str]  # as the client wrote them (``KRW-BTC.15`` included)
    targets: list[tuple[SimMarket, int]]  # market and order book unit count
    only_snapshot: bool
    only_realtime: bool
    level: float = 0.0


@dataclass(slots=True, eq=False)
class Connection:
    """One client connection and its subscription state."""

    ws: web.WebSocketResponse
    address: str
    transport: asyncio.BaseTransport | None = None
    ticket: str | None = None
    format: str = "DEFAULT"
    subscriptions: list[Subscription] = field(default_factory=list)
    requests: deque[float] = field(default_factory=deque)
    cursors: dict[tuple[str, int, int], Any] = field(default_factory=dict)
    candle_due: dict[tuple[str, int, int], int] = field(default_factory=dict)  # next send allowed, ms
    pusher: asyncio.Task[None] | None = None
    last_activity: float = field(default_factory=time.monotonic)  # last frame either way


def _flag(block: dict[str, Any], name: str, old_name: str) -> bool:
    value = block.get(name, block.get(old_name, False))
    if not isinstance(value, bool):
        raise RequestError("INVALID_PARAM", f"{name} must be true or false")
    return value


class WebSocketHub:
    """Serves every WebSocket connection of one simulator."""

    def __init__(
        self,
        catalogue: Catalogue,
        quotes: QuoteDesk,
        candles: CandleBook,
        stats: Any,
        *,
        idle_timeout_s: float = 120.0,
        push_interval_s: float = 0.1,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.catalogue = catalogue
        self.clock = clock  # the exchange's time in ms: the same clock as the REST answers
        self.quotes = quotes
        self.candles = candles
        self.stats = stats
        self.idle_timeout_s = idle_timeout_s
        self.push_interval_s = push_interval_s
        self.connections: set[Connection] = set()
        self._opened: dict[str, deque[float]] = {}

    # ---- connection lifecycle ----------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Upgrade, then serve the connection until it closes or idles out."""
        address = request.remote or "unknown"
        opened = self._opened.setdefault(address, deque())
        clock = time.monotonic()
        while opened and opened[0] <= clock - 1.0:
            opened.popleft()
        if len(opened) >= CONNECTIONS_PER_S:
            body = {"error": {"name": "too_many_requests", "message": "Too many API requests."}}
            return web.json_response(body, status=429)
        opened.append(clock)
        ws = web.WebSocketResponse(autoping=False, max_msg_size=1 << 20, timeout=1.0)
        await ws.prepare(request)
        conn = Connection(ws, address, request.transport)
        self.connections.add(conn)
        self.stats.ws_connections += 1
        conn.pusher = asyncio.get_running_loop().create_task(self._push_loop(conn))
        try:
            await self._read_loop(conn)
        finally:
            conn.pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await conn.pusher
            self.connections.discard(conn)
            if not ws.closed:
                await ws.close()
        return ws

    async def _read_loop(self, conn: Connection) -> None:
        ws = conn.ws
        while not ws.closed:
            # Idle means no frame in either direction for the whole timeout.
            left = conn.last_activity + self.idle_timeout_s - time.monotonic()
            if left <= 0:
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"idle timeout")
                return
            try:
                msg = await ws.receive(timeout=left)
            except TimeoutError:
                continue
            conn.last_activity = time.monotonic()
            if msg.type == WSMsgType.PING:
                await ws.pong(msg.data)
            elif msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                text = (
                    msg.data if isinstance(msg.data, str) else msg.data.decode("utf-8", "replace")
                )
                await self._on_text(conn, text)
            elif msg.type in (
                WSMsgType.CLOSE,
                WSMsgType.CLOSING,
                WSMsgType.CLOSED,
                WSMsgType.ERROR,
            ):
                return

    async def close_all(self) -> None:
        """Close every connection (server shutdown), waiting briefly for each client's reply."""
        for conn in list(self.connections):
            try:
                await asyncio.wait_for(
                    conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown"), 1.0
                )
            except (TimeoutError, ConnectionError, RuntimeError):
                if conn.transport is not None:
                    conn.transport.close()

    def drop_all(self) -> int:
        """Close every connection now, as a network drop would."""
        count = 0
        for conn in list(self.connections):
            if conn.ws.closed:
                continue
            count += 1
            if conn.pusher is not None:
                conn.pusher.cancel()
            if conn.transport is not None:
                # No close frame: the client sees the connection vanish, as on a network drop.
                conn.transport.close()
            else:
                asyncio.get_running_loop().create_task(conn.ws.close(code=WSCloseCode.GOING_AWAY))
        return count

    # ---- requests --------------------------------------------------------------------

    async def _send(self, conn: Connection, payload: Any) -> None:
        if conn.ws.closed:
            return
        with contextlib.suppress(ConnectionError, RuntimeError):
            await conn.ws.send_bytes(
                json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
            )
            self.stats.ws_messages_sent += 1
            conn.last_activity = time.monotonic()

    async def _error(self, conn: Connection, name: str, message: str) -> None:
        await self._send(conn, {"error": {"name": name, "message": message}})

    async def _on_text(self, conn: Connection, text: str) -> None:
        if text.strip() == "PING":
            await self._send(conn, {"status": "UP"})
            return
        clock = time.monotonic()
        window = conn.requests
        while window and window[0] <= clock - 60.0:
            window.popleft()
        recent = sum(1 for t in window if t > clock - 1.0)
        if recent >= MESSAGES_PER_S or len(window) >= MESSAGES_PER_MIN:
            await self._error(
                conn,
                "TOO_MANY_REQ",
                "Too many requests on this connection: "
                f"at most {MESSAGES_PER_S}/s and {MESSAGES_PER_MIN}/min",
            )
            return
        window.append(clock)
        self.stats.ws_requests += 1
        try:
            await self._on_request(conn, text)
        except RequestError as error:
            await self._error(conn, error.name, error.message)

    async def _on_request(self, conn: Connection, text: str) -> None:
        try:
            request = json.loads(text)
        except (ValueError, RecursionError):  # deep nesting is malformed JSON too, not a crash
            raise RequestError("WRONG_FORMAT", WRONG_FORMAT_MESSAGE) from None
        if not isinstance(request, list) or not all(isinstance(b, dict) for b in request):
            raise RequestError("WRONG_FORMAT", WRONG_FORMAT_MESSAGE)
        tickets = [b for b in request if "ticket" in b]
        if not tickets or not isinstance(tickets[0]["ticket"], str) or not tickets[0]["ticket"]:
            raise RequestError("NO_TICKET", "티켓이 존재하지 않거나, 유효하지 않습니다.")
        ticket = tickets[0]["ticket"]
        fmt = conn.format
        for block in request:
            if "format" in block:
                fmt = str(block["format"]).upper()
                if fmt not in FORMATS:
                    raise RequestError("INVALID_PARAM", f"{fmt}은 지원하지 않는 포맷입니다.")
        if any(block.get("method") == "LIST_SUBSCRIPTIONS" for block in request):
            result = [
                {"type": s.type, "codes": list(s.codes)}
                for s in conn.subscriptions
                if not s.only_snapshot
            ]
            await self._send(
                conn, {"method": "LIST_SUBSCRIPTIONS", "result": result, "ticket": ticket}
            )
            return
        blocks = [b for b in request if "type" in b]
        if not blocks:
            raise RequestError("NO_TYPE", "type 필드가 존재하지 않습니다.")
        subscriptions = [self._subscription(block) for block in blocks]
        conn.ticket, conn.format = ticket, fmt
        conn.subscriptions = subscriptions
        # A stream that stays subscribed carries on where it was: Upbit's realtime feed has
        # no pause while a connection changes its subscriptions, so no trade may fall between.
        previous, conn.cursors = conn.cursors, {}
        now = self.clock()
        snapshot: list[dict[str, Any]] = []
        for sub in subscriptions:
            for market, units in sub.targets:
                key = (sub.type, market.index, units)
                message = (
                    None
                    if sub.only_realtime
                    else self._message(sub, market, units, now, "SNAPSHOT")
                )
                if message is not None:
                    snapshot.append(message)
                conn.cursors[key] = previous.get(key, self._cursor(sub, market, now))
        await self._deliver(conn, snapshot)

    def _subscription(self, block: dict[str, Any]) -> Subscription:
        kind = block["type"]
        if kind not in TYPES:
            raise RequestError("INVALID_PARAM", f"type {kind!r} is not one of {', '.join(TYPES)}")
        if "codes" not in block:
            raise RequestError("NO_CODES", "codes 필드가 존재하지 않습니다.")
        codes = block["codes"]
        if not codes:
            raise RequestError("INVALID_PARAM", "codes 필드가 비어 있습니다.")
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise RequestError("INVALID_PARAM", "codes must be a list of upper-case market codes")
        targets: list[tuple[SimMarket, int]] = []
        for code in codes:
            name, _, suffix = code.partition(".")
            market = self.catalogue.get(name)
            if market is None:
                raise RequestError(
                    "INVALID_PARAM", f"Unknown code {code!r} (codes are upper case, e.g. KRW-BTC)"
                )
            units = ORDERBOOK_UNITS
            if kind == "orderbook" and suffix:
                units = (
                    int(suffix)
                    if suffix.isdigit() and int(suffix) in ORDERBOOK_COUNTS
                    else ORDERBOOK_UNITS
                )
            targets.append((market, units))
        level = block.get("level", 0)
        if not isinstance(level, int | float) or isinstance(level, bool):
            raise RequestError("INVALID_PARAM", "level must be a number")
        return Subscription(
            kind,
            list(codes),
            targets,
            _flag(block, "is_only_snapshot", "isOnlySnapshot"),
            _flag(block, "is_only_realtime", "isOnlyRealtime"),
            float(level),
        )

    # ---- messages --------------------------------------------------------------------

    def _message(
        self, sub: Subscription, market: SimMarket, units: int, now: int, stream_type: str
    ) -> dict[str, Any] | None:
        kind = sub.type
        if kind == "ticker":
            rest = self.quotes.ticker(market, now)
            last = self.quotes.last_trade(market, now)
            ask_bid = "ASK" if last is not None and last[3] else "BID"
            return ticker_message(rest, market.code, stream_type, ask_bid, market.warning)
        if kind == "orderbook":
            book = self.quotes.orderbook(market, now, count=units, level=sub.level)
            return orderbook_message(book, market.code, stream_type)
        if kind == "trade":
            rows = self.quotes.trades(
                market, self.quotes.latest_trade_day(market, now), now + 1, 1, now
            )
            if not rows:
                return None
            book = self.quotes.orderbook(market, now, count=1)
            return trade_message(rows[0], market.code, stream_type, book, now)
        unit = CANDLE_TYPES[kind]
        if unit == 0:
            rows = self.candles.seconds(market, now + 1, 1, now)
        else:
            rows = self.candles.minutes(market, unit, now + 1, 1, now)
        if not rows:
            return None
        return candle_message(rows[0], kind, market.code, stream_type, now)

    def _cursor(self, sub: Subscription, market: SimMarket, now: int) -> Any:
        if sub.type == "orderbook":
            return now // ORDERBOOK_REFRESH_MS
        if sub.type in CANDLE_TYPES:
            return now  # every trade up to now is in the snapshot
        last = self.quotes.last_trade(market, now)
        return last[4] if last is not None else 0

    async def _deliver(self, conn: Connection, messages: list[dict[str, Any]]) -> None:
        if not messages:
            return
        simple = conn.format in ("SIMPLE", "SIMPLE_LIST")
        if simple:
            messages = [simplify(m) for m in messages]
        if conn.format in ("JSON_LIST", "SIMPLE_LIST"):
            await self._send(conn, messages)
        else:
            for message in messages:
                await self._send(conn, message)

    async def _push_loop(self, conn: Connection) -> None:
        while not conn.ws.closed:
            await asyncio.sleep(self.push_interval_s)
            now = self.clock()
            batch: list[dict[str, Any]] = []
            for sub in conn.subscriptions:
                if sub.only_snapshot:
                    continue
                for market, units in sub.targets:
                    batch.extend(self._realtime(conn, sub, market, units, now))
            await self._deliver(conn, batch)

    def _realtime(
        self, conn: Connection, sub: Subscription, market: SimMarket, units: int, now: int
    ) -> list[dict[str, Any]]:
        key = (sub.type, market.index, units)
        cursor = conn.cursors.get(key, 0)
        if sub.type == "orderbook":
            bucket = now // ORDERBOOK_REFRESH_MS
            if bucket == cursor:
                return []
            conn.cursors[key] = bucket
            message = self._message(sub, market, units, now, "REALTIME")
            return [message] if message is not None else []
        if sub.type in CANDLE_TYPES:
            return self._changed_candles(conn, key, sub.type, market, int(cursor), now)
        fresh = self.quotes.trades_after(market, int(cursor), now, limit=TRADES_PER_PUSH)
        # Every trade up to now has been seen: the next scan may start here (ids are
        # timestamp * 1000 + index), unless this push was cut short.
        if len(fresh) < TRADES_PER_PUSH:
            conn.cursors[key] = max(int(cursor), now * 1000 + 999)
        else:
            conn.cursors[key] = fresh[-1]["sequential_id"]
        if not fresh:
            return []
        if sub.type == "trade":
            book = self.quotes.orderbook(market, now, count=1)
            return [trade_message(row, market.code, "REALTIME", book, now) for row in fresh]
        message = self._message(sub, market, units, now, "REALTIME")
        return [message] if message is not None else []

    def _changed_candles(
        self, conn: Connection, key: tuple[str, int, int], kind: str, market: SimMarket, since: int, now: int
    ) -> list[dict[str, Any]]:
        """The candles trades changed after ``since`` (ms) up to ``now``, oldest first, as
        messages; none while the stream's once-a-second turn has not come."""
        if now < conn.candle_due.get(key, 0) or now <= since:
            return []
        unit = CANDLE_TYPES[kind]
        span = unit * MINUTE_MS if unit else 1_000
        slots = min(CANDLE_PUSH_SLOTS, (now - since // span * span) // span + 1)
        if unit:
            rows = self.candles.minutes(market, unit, now + 1, slots, now)
        else:
            rows = self.candles.seconds(market, now + 1, slots, now)
        conn.cursors[key] = now
        changed = [row for row in rows if int(row["timestamp"]) > since]
        if not changed:
            return []
        conn.candle_due[key] = now + CANDLE_PUSH_MS
        return [candle_message(row, kind, market.code, "REALTIME", now) for row in reversed(changed)]
