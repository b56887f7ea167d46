"""Latest WebSocket snapshots per (kind, market), recent trade rings, and update streams.

A snapshot is only ever *fresh* while the connection that delivered it is
still up: the store keeps a connection epoch, and every snapshot from an
earlier epoch (or any snapshot while disconnected) is stale, whatever its age.

Upbit pushes a ticker or trade only when a trade happens, so a quiet market's
last message can be old and still exact. A snapshot's age is therefore the time
since it was last *known current*: its own arrival, or any later message on the
same live connection (the stream is ordered, so a change to this market would
have arrived before that later message). A silent connection ages every
snapshot; a dropped one makes them all stale at once.
Subscribers get updates through bounded queues; a slow consumer loses its
oldest updates and never holds up the socket reader.

A candle stream can also prove slots *closed*, as strictly as a REST answer's
``Date`` does (``CLOSE_MARGIN``). Upbit sends a candle only when trades change it,
each message the whole candle so far, in order on one connection, and stamps every
message with the exchange's time. So once a message on the connection carries a
time at least ``CLOSE_MARGIN`` past a slot's end, the last message for that slot
is its final candle, provided the stream was unbroken since before the slot
started, or since a message for that slot arrived on this connection (which
already held every trade before it); and a slot the unbroken stream never sent
had no trades. A reconnect, or an unsubscribe on the same connection, breaks the
run: it starts over at the next connection's, or the resubscription's, snapshot
(see :meth:`SnapshotStore.closes`).
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Self

from backbone.domain.candle_range import closed_end
from backbone.domain.clock import ms_to_utc, utc_to_ms
from backbone.domain.models import Candle, Orderbook, Ticker, Trade
from backbone.domain.timeframes import Timeframe
from backbone.router.endpoints import WS_CANDLE_KINDS

CANDLE_KINDS = frozenset(WS_CANDLE_KINDS.values())

StreamValue = Ticker | Orderbook | Trade | Candle

DEFAULT_TRADE_RING = 100  # recent trades kept per market
DEFAULT_QUEUE_SIZE = 256  # updates buffered per subscriber before the oldest is dropped
CANDLE_SLOTS_KEPT = 4  # per candle stream, the newest slots whose last message is kept


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The latest value of one stream, with its monotonic receive time and connection epoch."""

    kind: str
    market: str
    value: StreamValue
    received_at: float
    epoch: int


@dataclass(frozen=True, slots=True)
class StreamCloses:
    """Slots ``[start, end)`` a candle stream proves closed, and the final candles of
    those that traded (ascending); a slot in the span without a candle had no trades."""

    start: datetime
    end: datetime
    candles: tuple[Candle, ...]


@dataclass(slots=True)
class _CandleTrack:
    """One candle stream on one connection: since when it is unbroken, and its newest slots."""

    timeframe: Timeframe
    epoch: int
    since_ms: int  # the exchange's time of the stream's first message on this connection
    slots: dict[int, Candle] = field(default_factory=dict)  # slot start (ms) -> last message
    known_from_ms: int = 0  # every message for a slot from here on is in ``slots``

    def keep(self, candle: Candle) -> None:
        self.slots[candle.start_ms] = candle
        while len(self.slots) > CANDLE_SLOTS_KEPT:
            dropped = min(self.slots)
            del self.slots[dropped]
            self.known_from_ms = utc_to_ms(self.timeframe.shift(ms_to_utc(dropped), 1))


class UpdateQueue:
    """A bounded queue that drops its oldest item instead of blocking the producer."""

    _CLOSED = object()

    def __init__(self, maxsize: int = DEFAULT_QUEUE_SIZE) -> None:
        self._queue: asyncio.Queue[object] = asyncio.Queue(maxsize)
        self.dropped = 0

    def push(self, item: object) -> bool:
        """Add ``item``; returns False when an older item had to be dropped."""
        dropped = False
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
            dropped = True
        self._queue.put_nowait(item)
        return not dropped

    def close(self) -> None:
        self.push(self._CLOSED)

    async def get(self) -> StreamValue | None:
        """The next update, or None once closed."""
        item = await self._queue.get()
        if item is self._CLOSED:
            self._queue.put_nowait(item)  # later readers see the end too
            return None
        return item  # type: ignore[return-value]


class SnapshotStore:
    """What the WebSocket has told us, and who wants to hear about it."""

    def __init__(self, trade_ring: int = DEFAULT_TRADE_RING) -> None:
        self._latest: dict[tuple[str, str], Snapshot] = {}
        self._trades: dict[str, deque[Trade]] = {}
        self._trade_ring = trade_ring
        self._epoch = 0
        self._live = False
        self._last_traffic = 0.0  # monotonic time of the live connection's latest message
        self._exchange_ms = 0  # the newest exchange time a message on the live connection carried
        self._candle_tracks: dict[tuple[str, str], _CandleTrack] = {}
        # Per candle stream on the live connection: requests sent holding it, SNAPSHOT messages
        # received for it, and which of those snapshots its unbroken run starts at.
        self._requested: Counter[tuple[str, str]] = Counter()
        self._snapshots: Counter[tuple[str, str]] = Counter()
        self._starts_at: dict[tuple[str, str], int] = {}
        self._listeners: dict[tuple[str, str], set[UpdateQueue]] = {}
        self.dropped_updates = 0

    @property
    def live(self) -> bool:
        return self._live

    def connection_up(self) -> None:
        """A new connection is subscribed: snapshots from it are the only ones that count."""
        self._epoch += 1
        self._live = True
        self._last_traffic = 0.0
        self._exchange_ms = 0
        self._candle_tracks.clear()
        self._requested.clear()
        self._snapshots.clear()
        self._starts_at.clear()

    def connection_down(self) -> None:
        """The connection is gone: every snapshot is stale from this instant."""
        self._live = False
        # Trades missed while down would leave a silent gap in the ring.
        self._trades.clear()

    def traffic(self, received_at: float) -> None:
        """Any message arrived on the live connection: every current snapshot is confirmed."""
        if self._live:
            self._last_traffic = max(self._last_traffic, received_at)

    def subscription_sent(self, sent: Mapping[str, Sequence[str]], previous: Mapping[str, Sequence[str]]) -> None:
        """A request replacing the whole set went out on the live connection.

        Upbit answers every request with a SNAPSHOT of each stream in it, in order. A
        candle stream missing from the ``previous`` request had a gap, and messages sent
        before it may still be on their way: its unbroken run starts at the snapshot
        answering this request, the n-th SNAPSHOT of it on this connection.
        """
        for kind, markets in sent.items():
            if kind not in CANDLE_KINDS:
                continue
            before = set(previous.get(kind, ()))
            for market in markets:
                key = (kind, market)
                self._requested[key] += 1
                if market not in before:
                    self._starts_at[key] = self._requested[key]
                    self._candle_tracks.pop(key, None)

    def snapshot_arrived(self, kind: str, market: str) -> None:
        """A SNAPSHOT message of ``kind`` for ``market`` arrived (wanted or not)."""
        if self._live and kind in CANDLE_KINDS:
            self._snapshots[(kind, market)] += 1

    def exchange_time(self, timestamp_ms: int) -> None:
        """A message on the live connection carried the exchange's time ``timestamp_ms``."""
        if self._live:
            self._exchange_ms = max(self._exchange_ms, timestamp_ms)

    def put(self, kind: str, value: StreamValue, received_at: float) -> None:
        """Store the newest value of a stream and fan it out to its listeners."""
        market = value.market
        self.traffic(received_at)
        self._latest[(kind, market)] = Snapshot(kind, market, value, received_at, self._epoch)
        if isinstance(value, Candle):
            self._track(kind, value)
        if isinstance(value, Trade):
            ring = self._trades.get(market)
            if ring is None:
                ring = self._trades[market] = deque(maxlen=self._trade_ring)
            ring.appendleft(value)
        for queue in self._listeners.get((kind, market), ()):
            if not queue.push(value):
                self.dropped_updates += 1

    def age(self, snapshot: Snapshot, now: float) -> float | None:
        """Seconds since ``snapshot`` was last known current; None if it is stale for good."""
        if not self._live or snapshot.epoch != self._epoch:
            return None
        return now - max(snapshot.received_at, self._last_traffic)

    def fresh(self, kind: str, market: str, max_age_s: float, now: float) -> Snapshot | None:
        """The snapshot if the live connection confirmed it within ``max_age_s``, else None."""
        snapshot = self._latest.get((kind, market))
        if snapshot is None:
            return None
        age = self.age(snapshot, now)
        if age is None or age > max_age_s:
            return None
        return snapshot

    def _track(self, kind: str, candle: Candle) -> None:
        key = (kind, candle.market)
        if not self._live or self._snapshots[key] < self._starts_at.get(key, 1):
            return  # what arrives before the snapshot answering its subscription may predate a gap
        track = self._candle_tracks.get(key)
        if track is None or track.epoch != self._epoch:
            # The message's own time: the stream was subscribed, and unbroken, from then on.
            since = max(self._exchange_ms, candle.last_trade_ms)
            track = self._candle_tracks[key] = _CandleTrack(candle.timeframe, self._epoch, since)
        track.keep(candle)

    def closes(self, kind: str, market: str) -> StreamCloses | None:
        """The slots this candle stream proves closed, up to the newest provable one; None if none.

        A slot counts as closed once a message on the live connection carried an exchange
        time at least ``CLOSE_MARGIN`` past its end (the rule REST answers follow with their
        ``Date``). It is proven when the stream's messages for it are all known: the stream
        was unbroken on this connection since before the slot started, or a message for the
        slot arrived on it (each message holds the whole candle). The span returned is the
        contiguous run of proven slots ending at the newest closed slot.
        """
        track = self._candle_tracks.get((kind, market))
        if track is None or not self._live or track.epoch != self._epoch or not self._exchange_ms:
            return None
        tf = track.timeframe
        floor = ms_to_utc(track.known_from_ms)
        end = closed_end(tf, ms_to_utc(self._exchange_ms), floor)
        # Every slot starting after the stream's first message is known, traded or not.
        start = max(tf.shift(tf.floor(ms_to_utc(track.since_ms)), 1), floor)
        while True:  # and before that, the slots a message arrived for
            earlier = tf.shift(start, -1)
            if earlier < floor or utc_to_ms(earlier) not in track.slots:
                break
            start = earlier
        if start >= end:
            return None
        lo, hi = utc_to_ms(start), utc_to_ms(end)
        candles = tuple(track.slots[s] for s in sorted(track.slots) if lo <= s < hi)
        return StreamCloses(start, end, candles)

    def latest(self, kind: str, market: str) -> Snapshot | None:
        """The last snapshot whatever its freshness (for display, never for routing)."""
        return self._latest.get((kind, market))

    def recent_trades(self, market: str) -> list[Trade]:
        """Trades received on the live connection, newest first."""
        return list(self._trades.get(market, ()))

    def forget(self, kind: str, market: str) -> None:
        """Nobody streams ``kind`` for ``market`` any more: drop what it sent."""
        self._latest.pop((kind, market), None)
        self._candle_tracks.pop((kind, market), None)
        if kind == "trade":
            self._trades.pop(market, None)

    def add_listener(self, queue: UpdateQueue, kind: str, markets: Sequence[str]) -> None:
        for market in markets:
            self._listeners.setdefault((kind, market), set()).add(queue)

    def remove_listener(self, queue: UpdateQueue, kind: str, markets: Sequence[str]) -> None:
        for market in markets:
            listeners = self._listeners.get((kind, market))
            if listeners is not None:
                listeners.discard(queue)
                if not listeners:
                    del self._listeners[(kind, market)]

    def close_listeners(self) -> None:
        for listeners in self._listeners.values():
            for queue in listeners:
                queue.close()
        self._listeners.clear()


class UpdateStream:
    """``async with router.updates(kind, markets) as stream: async for value in stream``.

    Entering subscribes, leaving unsubscribes. Iterating without ``async with``
    subscribes on the first ``__anext__``; call :meth:`aclose` when done.
    """

    def __init__(
        self,
        store: SnapshotStore,
        kind: str,
        markets: Sequence[str],
        subscribe: Callable[[str, Sequence[str]], Awaitable[None]],
        unsubscribe: Callable[[str, Sequence[str]], Awaitable[None]],
        maxsize: int = DEFAULT_QUEUE_SIZE,
    ) -> None:
        self.kind = kind
        self.markets = tuple(markets)
        self._store = store
        self._subscribe = subscribe
        self._unsubscribe = unsubscribe
        self._queue = UpdateQueue(maxsize)
        self._entered = False
        self._closed = False

    @property
    def dropped(self) -> int:
        """Updates this consumer lost because it read too slowly."""
        return self._queue.dropped

    async def __aenter__(self) -> Self:
        if not self._entered:
            self._entered = True
            self._store.add_listener(self._queue, self.kind, self.markets)
            await self._subscribe(self.kind, self.markets)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.close()
        if self._entered:
            self._store.remove_listener(self._queue, self.kind, self.markets)
            await self._unsubscribe(self.kind, self.markets)

    def __aiter__(self) -> AsyncIterator[StreamValue]:
        return self

    async def __anext__(self) -> StreamValue:
        if self._closed:
            raise StopAsyncIteration
        if not self._entered:
            await self.__aenter__()
        value = await self._queue.get()
        if value is None:
            raise StopAsyncIteration
        return value
