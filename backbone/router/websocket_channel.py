"""The WebSocket channel: one connection carrying ticker, orderbook, trade and candle streams.

Upbit replaces the whole subscription set whenever a new request arrives on a
connection, so the channel always sends the *complete* set it wants, built
from reference counts per (kind, market). Changes are coalesced and paced to
Upbit's 5 messages/s and 100/min per connection. The connection opens when
the first stream is wanted, pings to stay clear of the 120 s idle close,
reconnects with exponential backoff and jitter (at most 5 connects/s) and
resubscribes. The moment it drops, every snapshot turns stale.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

import aiohttp

from backbone.domain.models import Candle, Orderbook, Ticker, Trade
from backbone.domain.timeframes import TIMEFRAMES
from backbone.router.endpoints import (
    WS_CANDLE_KINDS,
    WS_CONNECTS_PER_S,
    WS_KINDS,
    WS_MESSAGES_PER_MIN,
    WS_MESSAGES_PER_S,
    WS_QUOTE_KINDS,
)
from backbone.router.snapshots import SnapshotStore, StreamValue
from backbone.router.stats import StatsRecorder

log = logging.getLogger(__name__)

_PARSERS: Mapping[str, Callable[[Mapping[str, Any]], StreamValue]] = {
    "ticker": Ticker.from_upbit,
    "orderbook": Orderbook.from_upbit,
    "trade": Trade.from_upbit,
} | {kind: partial(Candle.from_upbit, timeframe=TIMEFRAMES[code]) for code, kind in WS_CANDLE_KINDS.items()}


class _PacedWindow:
    """Sliding windows of event times: wait until one more event stays within every limit."""

    def __init__(self, limits: Iterable[tuple[int, float]]) -> None:
        self._limits = tuple(limits)  # (count, seconds)
        span = max(seconds for _, seconds in self._limits)
        self._span = span
        self._times: deque[float] = deque()

    async def wait_turn(self) -> None:
        while True:
            now = time.monotonic()
            while self._times and self._times[0] <= now - self._span:
                self._times.popleft()
            delay = 0.0
            for count, seconds in self._limits:
                recent = [t for t in self._times if t > now - seconds]
                if len(recent) >= count:
                    delay = max(delay, recent[-count] + seconds - now)
            if delay <= 0:
                self._times.append(now)
                return
            await asyncio.sleep(delay)


class WebSocketChannel:
    """Keeps the wanted streams subscribed and feeds a :class:`SnapshotStore`."""

    def __init__(
        self,
        ws_url: str,
        session: Callable[[], aiohttp.ClientSession],
        store: SnapshotStore,
        stats: StatsRecorder,
        *,
        heartbeat_s: float = 30.0,
        coalesce_s: float = 0.02,
        first_retry_s: float = 0.25,
        max_backoff_s: float = 30.0,
    ) -> None:
        self.ws_url = ws_url
        self._session = session
        self._store = store
        self._stats = stats
        self._heartbeat_s = heartbeat_s
        self._coalesce_s = coalesce_s
        self._first_retry_s = first_retry_s
        self._max_backoff_s = max_backoff_s
        self._wanted: dict[str, Counter[str]] = {kind: Counter() for kind in WS_KINDS}
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._state = "disconnected"
        self._stopping = False
        self._connects = _PacedWindow([(WS_CONNECTS_PER_S, 1.0)])
        self._random = random.Random()
        self.last_error: Mapping[str, Any] | None = None
        self.parse_errors = 0

    # -- public ---------------------------------------------------------------

    @property
    def state(self) -> str:
        """``disconnected``, ``connecting`` or ``connected``."""
        return self._state

    def is_subscribed(self, kind: str, market: str) -> bool:
        return self._wanted[kind][market] > 0

    def subscriptions(self) -> dict[str, list[str]]:
        """The complete set this channel wants, per kind (sorted codes).

        The quote kinds are always listed; a candle kind only while something streams it.
        """
        return {
            kind: sorted(c for c, n in codes.items() if n > 0)
            for kind, codes in self._wanted.items()
            if kind in WS_QUOTE_KINDS or codes
        }

    def add(self, kind: str, markets: Iterable[str]) -> None:
        """Take one reference on each (kind, market) stream; connects on first need."""
        counts = self._wanted[kind]
        grew = False
        for market in markets:
            counts[market] += 1
            grew = grew or counts[market] == 1
        if grew:
            self._changed.set()
        self.ensure_running()

    def ensure_running(self) -> None:
        """Start the connection loop if streams are wanted and it is not running."""
        if self._stopping or not self._any_wanted():
            return
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="upbit-websocket")

    def remove(self, kind: str, markets: Iterable[str]) -> None:
        """Drop one reference per stream; streams nobody wants are unsubscribed."""
        counts = self._wanted[kind]
        shrank = False
        for market in markets:
            if counts[market] <= 0:
                continue
            counts[market] -= 1
            if counts[market] == 0:
                del counts[market]
                self._store.forget(kind, market)
                shrank = True
        if shrank:
            self._changed.set()

    async def stop(self) -> None:
        """Close the connection and stop reconnecting (idempotent)."""
        self._stopping = True
        self._changed.set()
        ws = self._ws
        if ws is not None and not ws.closed:
            await ws.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._store.connection_down()
        self._state = "disconnected"
        self._stopping = False  # the wanted set is kept: a restart resubscribes it

    # -- connection loop ------------------------------------------------------

    def _any_wanted(self) -> bool:
        return any(self._wanted[kind] for kind in WS_KINDS)

    async def _run(self) -> None:
        failures = 0
        lost = False
        while not self._stopping:
            if not self._any_wanted():
                self._state = "disconnected"
                self._changed.clear()
                await self._changed.wait()
                continue
            await self._connects.wait_turn()
            self._state = "connecting"
            try:
                ws = await self._session().ws_connect(
                    self.ws_url, heartbeat=self._heartbeat_s, autoping=True, max_msg_size=0
                )
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                self._state = "disconnected"
                failures += 1
                log.warning(
                    "WebSocket connect to %s failed (%s); retry %d", self.ws_url, exc, failures
                )
                await asyncio.sleep(self._backoff(failures))
                continue
            log.debug("WebSocket connected to %s", self.ws_url)
            if lost:
                self._stats.ws_reconnects += 1
            self._ws = ws
            received = False
            try:
                received = await self._serve(ws)
            except (aiohttp.ClientError, OSError) as exc:
                log.warning("WebSocket connection lost: %s", exc)
            finally:
                self._ws = None
                self._store.connection_down()
                self._state = "disconnected"
                if not ws.closed:
                    await ws.close()
            if self._stopping:
                break
            lost = self._any_wanted()  # closing because nothing is wanted is not a loss
            if lost:
                failures = 0 if received else failures + 1
                await asyncio.sleep(self._backoff(failures))

    def _backoff(self, failures: int) -> float:
        base = min(self._max_backoff_s, self._first_retry_s * 2**failures)
        return base * (0.5 + self._random.random())

    async def _serve(self, ws: aiohttp.ClientWebSocketResponse) -> bool:
        """Subscribe, then read until the connection ends; True if any stream data arrived."""
        sender = asyncio.get_running_loop().create_task(self._send_subscriptions(ws))
        received = False
        try:
            async for message in ws:
                if message.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT):
                    received = self._on_message(message.data) or received
                elif message.type == aiohttp.WSMsgType.ERROR:
                    log.warning("WebSocket error: %s", ws.exception())
                    break
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
        return received

    async def _send_subscriptions(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Send the complete wanted set whenever it changes, coalesced and paced."""
        # Windows a little wider than Upbit's: it counts arrivals, we count sends, and
        # network jitter can bring two sends a second apart closer together.
        pace = _PacedWindow([(WS_MESSAGES_PER_S, 1.1), (WS_MESSAGES_PER_MIN, 61.0)])
        sent: dict[str, list[str]] | None = None
        self._changed.set()
        while not ws.closed:
            await self._changed.wait()
            await asyncio.sleep(self._coalesce_s)  # let a burst of changes become one message
            self._changed.clear()
            wanted = {kind: codes for kind, codes in self.subscriptions().items() if codes}
            if not wanted:
                await ws.close()  # Upbit rejects an empty request; an idle socket is pointless
                return
            if wanted == sent:
                continue
            await pace.wait_turn()
            request: list[dict[str, Any]] = [{"ticket": str(uuid.uuid4())}]
            request += [
                {"type": kind, "codes": codes, "is_only_snapshot": False, "is_only_realtime": False}
                for kind, codes in wanted.items()
            ]
            request.append({"format": "DEFAULT"})
            # Told before sending, so the answer cannot arrive before the store expects it.
            if sent is None:
                self._store.connection_up()
            self._store.subscription_sent(wanted, sent or {})
            await ws.send_str(json.dumps(request))
            log.debug("WebSocket subscription sent: %s", wanted)
            if sent is None:
                self._state = "connected"
            sent = wanted

    def _on_message(self, data: bytes | str) -> bool:
        self._store.traffic(time.monotonic())
        try:
            payload = json.loads(data)
        except ValueError:
            self.parse_errors += 1
            return False
        items = payload if isinstance(payload, list) else [payload]
        stored = False
        for item in items:
            if isinstance(item, dict):
                stored = self._on_item(item) or stored
        return stored

    def _on_item(self, item: Mapping[str, Any]) -> bool:
        if "error" in item:
            self.last_error = item["error"]
            log.warning("Upbit WebSocket error: %s", item["error"])
            return False
        kind = item.get("type")
        code = item.get("code")
        if kind not in _PARSERS or not isinstance(code, str):
            return False  # {"status": "UP"} answers to PING and anything unknown
        stamp = item.get("timestamp")
        if isinstance(stamp, int):
            # Every data message carries the exchange's time: what lets a candle stream prove a close.
            self._store.exchange_time(stamp)
        if item.get("stream_type") == "SNAPSHOT":
            self._store.snapshot_arrived(kind, code)  # counted even when unwanted: one per request
        if self._wanted[kind][code] <= 0:
            return False  # a leftover of a stream we no longer want
        try:
            value = _PARSERS[kind](item)
        except (KeyError, ValueError, TypeError):
            self.parse_errors += 1
            return False
        self._stats.ws_messages += 1
        self._store.put(kind, value, time.monotonic())
        return True
