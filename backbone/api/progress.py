"""Progress of long requests: events by request id, for callbacks and async iterators, and cancel."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """Where a long request stands. ``deferred`` is True while it waits for system load."""

    request_id: str
    pages_done: int
    pages_total: int
    candles_done: int
    eta_s: float | None
    done: bool
    deferred: bool = False
    deferred_ms: float = 0.0
    message: str = ""

    @property
    def percent(self) -> float:
        """0 to 100."""
        if self.done:
            return 100.0
        if self.pages_total <= 0:
            return 0.0
        return min(100.0, 100.0 * self.pages_done / self.pages_total)


ProgressCallback = Callable[[ProgressEvent], None]


class _Channel:
    def __init__(self) -> None:
        self.queues: list[asyncio.Queue[ProgressEvent]] = []
        self.last: ProgressEvent | None = None
        self.cancel = asyncio.Event()
        self.touched = time.monotonic()


class ProgressTracker:
    """Holds the latest event and the listeners of every long request."""

    _KEEP_S = 600.0  # finished requests stay visible to late listeners this long

    def __init__(self) -> None:
        self._channels: dict[str, _Channel] = {}
        self._ids = itertools.count(1)

    def new_id(self) -> str:
        """A fresh request id."""
        self._forget_old()
        rid = f"req-{next(self._ids)}"
        self._channels[rid] = _Channel()
        return rid

    def _channel(self, request_id: str) -> _Channel:
        channel = self._channels.get(request_id)
        if channel is None:
            channel = self._channels[request_id] = _Channel()
        return channel

    def cancel_event(self, request_id: str) -> asyncio.Event:
        """The event that, once set, stops the request's further upstream calls."""
        return self._channel(request_id).cancel

    def cancel(self, request_id: str) -> bool:
        """Ask a request to stop; True if it was known."""
        channel = self._channels.get(request_id)
        if channel is None:
            return False
        channel.cancel.set()
        return True

    def publish(self, event: ProgressEvent, callback: ProgressCallback | None = None) -> None:
        """Record an event, wake every listener and call the request's callback."""
        channel = self._channel(event.request_id)
        channel.last = event
        channel.touched = time.monotonic()
        for queue in channel.queues:
            queue.put_nowait(event)
        if callback is not None:
            callback(event)

    def latest(self, request_id: str) -> ProgressEvent | None:
        """The last event published for a request."""
        channel = self._channels.get(request_id)
        return channel.last if channel else None

    async def events(self, request_id: str) -> AsyncIterator[ProgressEvent]:
        """Every event of a request from now on (starting with the latest), until done."""
        channel = self._channel(request_id)
        queue: asyncio.Queue[ProgressEvent] = asyncio.Queue()
        channel.queues.append(queue)
        try:
            if channel.last is not None:
                queue.put_nowait(channel.last)
            while True:
                event = await queue.get()
                yield event
                if event.done:
                    return
        finally:
            channel.queues.remove(queue)

    def _forget_old(self) -> None:
        cutoff = time.monotonic() - self._KEEP_S
        for rid in [r for r, c in self._channels.items() if c.touched < cutoff and not c.queues]:
            del self._channels[rid]
