"""Progress of long requests: events by request id, for callbacks and async iterators, and cancel."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
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
    """One request's latest event, its listeners' queues and its cancel flag."""

    __slots__ = ("cancel", "last", "pins", "queues", "touched")

    def __init__(self) -> None:
        self.queues: list[asyncio.Queue[ProgressEvent]] = []
        self.last: ProgressEvent | None = None
        self.cancel = asyncio.Event()
        self.pins = 0  # the request running, plus each listener attached
        self.touched = 0.0

    @property
    def worth_keeping(self) -> bool:
        """Whether a late listener or canceller could learn anything from it."""
        return self.last is not None or self.cancel.is_set()


class ProgressTracker:
    """The latest event and the listeners of each request, O(1) per request.

    A request id costs nothing until someone publishes, listens or cancels. A
    channel is pinned while its request runs or a listener waits; once neither
    holds it, it stays for late listeners (``keep_s`` seconds, at most
    ``keep_max`` channels, oldest dropped first), so memory and time per request
    do not grow with uptime.
    """

    def __init__(
        self,
        *,
        keep_s: float = 600.0,
        keep_max: int = 1_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pinned: dict[str, _Channel] = {}
        self._idle: OrderedDict[str, _Channel] = OrderedDict()  # least recently released first
        self._ids = itertools.count(1)
        self._keep_s = keep_s
        self._keep_max = keep_max
        self._clock = clock

    def new_id(self) -> str:
        """A fresh request id (nothing is stored for it yet)."""
        return f"req-{next(self._ids)}"

    def reserve_id(self) -> str:
        """A fresh id that ``cancel`` and ``progress`` already know, for a request not started yet."""
        rid = self.new_id()
        self._release(rid, _Channel(), keep=True)
        return rid

    @property
    def retained(self) -> int:
        """Channels held right now (running, listened to, or kept for late listeners)."""
        return len(self._pinned) + len(self._idle)

    @contextmanager
    def running(self, request_id: str) -> Iterator[None]:
        """Pin the request's channel while it runs; afterwards keep it only if it says something."""
        channel = self._pin(request_id)
        try:
            yield
        finally:
            self._unpin(request_id, channel)

    def cancel_event(self, request_id: str) -> asyncio.Event:
        """The event that, once set, stops the request's further upstream calls."""
        return self._find_or_keep(request_id).cancel

    def cancel(self, request_id: str) -> bool:
        """Ask a request to stop; True if it was known."""
        channel = self._find(request_id)
        if channel is None:
            return False
        channel.cancel.set()
        return True

    def publish(self, event: ProgressEvent, callback: ProgressCallback | None = None) -> None:
        """Record an event, wake every listener and call the request's callback."""
        channel = self._find_or_keep(event.request_id)
        channel.last = event
        for queue in channel.queues:
            queue.put_nowait(event)
        if callback is not None:
            callback(event)

    def latest(self, request_id: str) -> ProgressEvent | None:
        """The last event published for a request."""
        channel = self._find(request_id)
        return channel.last if channel else None

    async def events(self, request_id: str) -> AsyncIterator[ProgressEvent]:
        """Every event of a request from now on (starting with the latest), until done."""
        channel = self._pin(request_id)
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
            self._unpin(request_id, channel)

    def _find(self, request_id: str) -> _Channel | None:
        return self._pinned.get(request_id) or self._idle.get(request_id)

    def _find_or_keep(self, request_id: str) -> _Channel:
        channel = self._find(request_id)
        if channel is None:
            channel = _Channel()
            self._release(request_id, channel, keep=True)
        return channel

    def _pin(self, request_id: str) -> _Channel:
        channel = self._pinned.get(request_id)
        if channel is None:
            channel = self._idle.pop(request_id, None) or _Channel()
            self._pinned[request_id] = channel
        channel.pins += 1
        return channel

    def _unpin(self, request_id: str, channel: _Channel) -> None:
        channel.pins -= 1
        if channel.pins <= 0 and self._pinned.get(request_id) is channel:
            del self._pinned[request_id]
            self._release(request_id, channel, keep=channel.worth_keeping)

    def _release(self, request_id: str, channel: _Channel, *, keep: bool) -> None:
        now = self._clock()
        if keep:
            channel.touched = now
            self._idle[request_id] = channel
            self._idle.move_to_end(request_id)
        # Oldest first, so each request is dropped once: O(1) amortised.
        cutoff = now - self._keep_s
        while self._idle:
            oldest = next(iter(self._idle.values()))
            if len(self._idle) <= self._keep_max and oldest.touched >= cutoff:
                break
            self._idle.popitem(last=False)
