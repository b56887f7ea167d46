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
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from backbone.domain.models import Candle, Orderbook, Ticker, Trade

StreamValue = Ticker | Orderbook | Trade | Candle

DEFAULT_TRADE_RING = 100  # recent trades kept per market
DEFAULT_QUEUE_SIZE = 256  # updates buffered per subscriber before the oldest is dropped


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The latest value of one stream, with its monotonic receive time and connection epoch."""

    kind: str
    market: str
    value: StreamValue
    received_at: float
    epoch: int


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

    def connection_down(self) -> None:
        """The connection is gone: every snapshot is stale from this instant."""
        self._live = False
        # Trades missed while down would leave a silent gap in the ring.
        self._trades.clear()

    def traffic(self, received_at: float) -> None:
        """Any message arrived on the live connection: every current snapshot is confirmed."""
        if self._live:
            self._last_traffic = max(self._last_traffic, received_at)

    def put(self, kind: str, value: StreamValue, received_at: float) -> None:
        """Store the newest value of a stream and fan it out to its listeners."""
        market = value.market
        self.traffic(received_at)
        self._latest[(kind, market)] = Snapshot(kind, market, value, received_at, self._epoch)
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

    def latest(self, kind: str, market: str) -> Snapshot | None:
        """The last snapshot whatever its freshness (for display, never for routing)."""
        return self._latest.get((kind, market))

    def recent_trades(self, market: str) -> list[Trade]:
        """Trades received on the live connection, newest first."""
        return list(self._trades.get(market, ()))

    def forget(self, kind: str, market: str) -> None:
        self._latest.pop((kind, market), None)
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
