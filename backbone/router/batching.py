"""Concurrent quote requests merged into few exchange calls; identical calls shared.

Upbit answers ``/ticker`` and ``/orderbook`` for many markets in one call, and
counts each call against its group's budget. A :class:`QuoteBatcher` holds the
markets asked within ``window_s`` of each other (a few milliseconds) and sends
them as one call, in the order of the most urgent caller (a CRITICAL request
sends at once); each caller gets back the values of its own markets. A batch
never grows past ``max_markets`` (the URL stays short), and when the exchange
refuses a merged call (one caller's market unknown to it) every caller is asked
for again alone, so one bad request loses nobody else's answer.

:class:`SharedCalls` lets identical calls in flight (the same trades page of the
same market) share one exchange call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, Protocol, TypeVar

from backbone.domain.errors import BadRequestError
from backbone.domain.priority import Priority
from backbone.router.scheduler import Scheduler, Ticket

BATCH_WINDOW_S = 0.003  # how long a first request waits for others to join its call
MAX_BATCH_MARKETS = 100  # markets per call: keeps the URL well under common limits


class _Quote(Protocol):
    @property
    def market(self) -> str: ...


Q = TypeVar("Q", bound=_Quote)
T = TypeVar("T")
QuoteFetch = Callable[[list[str], Ticket], Awaitable[list[Q]]]


class _Batch(Generic[Q]):
    def __init__(self, ticket: Ticket) -> None:
        self.ticket = ticket
        self.markets: dict[str, None] = {}
        self.callers = 0
        self.future: asyncio.Future[list[Q]] = asyncio.get_running_loop().create_future()
        self.timer: asyncio.TimerHandle | None = None
        self.sent = False


class QuoteBatcher(Generic[Q]):
    """Merges ticker (or orderbook) requests that arrive together into one call per group."""

    def __init__(
        self,
        fetch: QuoteFetch[Q],
        scheduler: Scheduler,
        *,
        window_s: float = BATCH_WINDOW_S,
        max_markets: int = MAX_BATCH_MARKETS,
    ) -> None:
        self._fetch = fetch
        self._scheduler = scheduler
        self._window_s = window_s
        self._max = max_markets
        self._open: _Batch[Q] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.calls = 0  # exchange calls made (for tests and metrics)

    async def get(self, codes: Sequence[str], priority: Priority) -> tuple[list[Q], int]:
        """The values of ``codes`` (any order) and how many calls they came from."""
        batches: list[_Batch[Q]] = []
        for start in range(0, len(codes), self._max):
            batches.append(self._join(list(codes[start : start + self._max]), priority))
        answers = await asyncio.gather(*(asyncio.shield(batch.future) for batch in batches), return_exceptions=True)
        wanted = set(codes)
        values: list[Q] = []
        for batch, answer in zip(batches, answers, strict=True):
            if isinstance(answer, BadRequestError) and batch.callers > 1:
                # A market only this caller asked for may be what the exchange refused.
                own = [code for code in codes if code in batch.markets]
                alone = await self._fetch(own, self._scheduler.ticket(priority))
                self.calls += 1
                values.extend(alone)
                continue
            if isinstance(answer, BaseException):
                raise answer
            values.extend(value for value in answer if value.market in wanted)
        return values, len(batches)

    def _join(self, codes: list[str], priority: Priority) -> _Batch[Q]:
        batch = self._open
        if batch is not None and len(batch.markets.keys() | set(codes)) > self._max:
            self._flush(batch)
            batch = None
        if batch is None:
            batch = _Batch(self._scheduler.ticket(priority))
            self._open = batch
            if priority is not Priority.CRITICAL:
                loop = asyncio.get_running_loop()
                batch.timer = loop.call_later(self._window_s, self._flush, batch)
        batch.callers += 1
        batch.markets.update(dict.fromkeys(codes))
        self._scheduler.raise_priority(batch.ticket, priority)
        if priority is Priority.CRITICAL or len(batch.markets) >= self._max:
            self._flush(batch)
        return batch

    def _flush(self, batch: _Batch[Q]) -> None:
        if self._open is batch:
            self._open = None
        if batch.timer is not None:
            batch.timer.cancel()
            batch.timer = None
        if batch.sent:
            return
        batch.sent = True
        task = asyncio.ensure_future(self._call(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _call(self, batch: _Batch[Q]) -> None:
        try:
            values = await self._fetch(list(batch.markets), batch.ticket)
        except BaseException as error:
            if not batch.future.done():
                batch.future.set_exception(error)
                batch.future.exception()  # a caller that left must not leave it unretrieved
            if isinstance(error, asyncio.CancelledError):
                raise
            return
        finally:
            self.calls += 1
        if not batch.future.done():
            batch.future.set_result(values)

    def close(self) -> None:
        """Cancel calls in flight (on shutdown)."""
        if self._open is not None and self._open.timer is not None:
            self._open.timer.cancel()
        self._open = None
        for task in list(self._tasks):
            task.cancel()


class SharedCalls(Generic[T]):
    """Identical calls in flight share one: the first caller's call answers every one.

    The call runs as its own task, so a caller that leaves (cancelled) takes
    nothing away from the others still waiting for it.
    """

    def __init__(self) -> None:
        self._inflight: dict[Hashable, asyncio.Future[T]] = {}
        self.shared = 0  # callers answered by someone else's call

    async def call(self, key: Hashable, make: Callable[[], Awaitable[T]]) -> T:
        """``await make()``, or the same call already in flight under ``key``."""
        running = self._inflight.get(key)
        if running is None:
            running = asyncio.ensure_future(make())
            self._inflight[key] = running
            running.add_done_callback(lambda done: self._settled(key, done))
        else:
            self.shared += 1
        return await asyncio.shield(running)

    def _settled(self, key: Hashable, done: asyncio.Future[T]) -> None:
        self._inflight.pop(key, None)
        if not done.cancelled():
            done.exception()  # every caller may have left: the error is still seen

    def close(self) -> None:
        """Cancel calls in flight (on shutdown)."""
        for running in list(self._inflight.values()):
            running.cancel()
