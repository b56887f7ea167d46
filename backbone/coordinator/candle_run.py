"""One candle request in progress: the pages it joined, its progress, cancellation and reads.

A run plans what storage lacks, registers or joins pages in the single-flight
registry, waits for them while watching the caller's cancel event, and reads the
answer back from storage with the still-forming candles laid over it. A long range
is planned as plain spans and only ``PAGES_AHEAD`` of its own pages exist (with a
task and a place in the scheduler) at any moment: the next one starts when one
finishes, so a backfill of 23,000 pages starts and cancels in the same time as a
backfill of ten.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import deque
from collections.abc import Callable, Coroutine, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from backbone.coordinator.planner import PageSpan, Span, iter_pages, page_count, subtract
from backbone.coordinator.progress import ProgressCallback, ProgressTracker
from backbone.coordinator.requests import CandleRequest
from backbone.coordinator.single_flight import BeforePage, InflightPage, SingleFlight
from backbone.domain.candle_columns import CandleColumns
from backbone.domain.clock import utc_to_ms
from backbone.domain.errors import CancelledRequestError
from backbone.domain.models import utc_now
from backbone.domain.timeframes import Timeframe
from backbone.router.endpoints import MAX_CANDLE_COUNT as PAGE_SIZE

if TYPE_CHECKING:
    from backbone.router import SmartRouter
    from backbone.router.scheduler import WaitListener
    from backbone.storage import MarketStore, MemoryCache

PageRunner = Callable[[InflightPage], Coroutine[Any, Any, None]]
Planned = InflightPage | PageSpan  # a page in flight, or one of this run's spans not started yet

PAGES_AHEAD = 8  # own pages one run has started and not finished, at most

FORMING_KIND = "candle"  # memory cache kind for the still-forming tail of a series


@dataclass(frozen=True, slots=True)
class FormingTail:
    """The slots a page could not cover because they were still forming, and their candles.

    Kept in the memory cache for its (short) time to live, so a chart asking again
    within that budget is answered without an exchange call.
    """

    start: datetime
    end: datetime
    candles: CandleColumns


def forming_key(market: str, timeframe_code: str) -> str:
    """The memory cache key of a series' forming tail."""
    return f"{market}:{timeframe_code}"

_ABANDON_WAIT_S = 5.0  # how long a cancelled request waits for its own pages to stop


class CandleRun:
    """The state of one ``get_candles`` or ``stream_candles`` call."""

    def __init__(
        self,
        request: CandleRequest,
        *,
        store: MarketStore,
        cache: MemoryCache | None,
        flight: SingleFlight,
        router: SmartRouter,
        run_page: PageRunner,
        progress: ProgressCallback | None,
        before_page: BeforePage | None,
        cancel: asyncio.Event | None,
        on_wait: WaitListener | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.request = request
        self.tracker = ProgressTracker(progress)
        self.exhausted = False  # a page proved there is no older history
        self._store = store
        self._cache = cache
        self._flight = flight
        self._router = router
        self._on_wait = on_wait
        self._run_page = run_page
        self._before_page = before_page
        self._cancel = cancel
        self._clock = clock
        self._cancel_waiter: asyncio.Future[Any] | None = None
        self._own: list[InflightPage] = []
        self._joined: list[InflightPage] = []
        self._released: set[int] = set()
        self._taken: set[int] = set()
        self._fresh = CandleColumns.empty(request.market, request.timeframe)
        self.known: list[Span] = []  # spans this run's pages (own or joined) made known
        self._mark = flight.mark()
        self.shared_pages = 0
        self._sources: deque[Iterator[PageSpan]] = deque()  # own spans planned, not started yet
        self._begun: dict[Span, list[InflightPage]] = {}  # planned spans started, and their pages
        self._running = 0  # own pages started and not finished
        self._halted = False  # an own page failed or the run was left: start no more

    @property
    def key(self) -> tuple[str, str]:
        return (self.request.market, self.request.timeframe.code)

    @property
    def upstream_calls(self) -> int:
        """Exchange calls spent on this run's own pages."""
        return sum(1 for page in self._own if page.called)

    def check_cancel(self) -> None:
        """Raise CancelledRequestError once the caller asked to stop."""
        if self._cancel is not None and self._cancel.is_set():
            raise CancelledRequestError(
                f"the request for {self.request.market} {self.request.timeframe.code} candles "
                "was cancelled; pages already stored are kept"
            )

    async def fetch(self, start: datetime, end: datetime) -> Iterator[Planned]:
        """Plan fetching whatever storage lacks in ``[start, end)``; the planned pages, ascending.

        Spans another request is fetching are joined rather than fetched again.
        This run's own spans are made as they are wanted and start ``PAGES_AHEAD``
        at a time, oldest first; :meth:`wait_planned` waits for any of them.
        """
        self.check_cancel()
        timeframe = self.request.timeframe
        missing = await self.unknown(start, end)
        shared = self._flight.overlapping(self.key, missing)
        remaining = subtract(missing, [page.bounds for page in shared])
        self._start([], shared, newest_first=False)
        self.tracker.add_pages(sum(page_count(timeframe, a, b) for a, b in remaining) + len(shared))
        self._sources.append(_own_spans(timeframe, remaining))
        self._top_up()
        return heapq.merge(shared, _own_spans(timeframe, remaining), key=lambda item: _bounds(item)[0])

    async def wait_planned(self, planned: Iterable[Planned]) -> None:
        """Wait, in order, until every planned page is stored; starts a span not yet started."""
        for item in planned:
            self.check_cancel()
            await self.wait([item] if isinstance(item, InflightPage) else self._begin(item))

    def _top_up(self) -> None:
        """Start own spans, oldest first, until ``PAGES_AHEAD`` are running."""
        while self._sources and self._running < PAGES_AHEAD and not self._halted:
            if self._cancel is not None and self._cancel.is_set():
                return
            span = next(self._sources[0], None)
            if span is None:
                self._sources.popleft()
            elif (span.start, span.end) not in self._begun:
                self._begin(span)

    def _begin(self, span: PageSpan) -> list[InflightPage]:
        """Start one planned span (once): join what others fetch of it, fetch the rest."""
        bounds = (span.start, span.end)
        begun = self._begun.get(bounds)
        if begun is not None:
            return begun
        self._refresh_known()
        left = subtract([bounds], self.known)
        shared = self._flight.overlapping(self.key, left)
        timeframe = self.request.timeframe
        spans = [
            PageSpan(a, b, timeframe.count_between(a, b))
            for a, b in subtract(left, [page.bounds for page in shared])
        ]
        pages = self._start(spans, shared, newest_first=False)
        self._begun[bounds] = pages
        if not pages:
            self.tracker.page_done(0)  # another request made it known meanwhile
        elif len(pages) > 1:
            self.tracker.add_pages(len(pages) - 1)
        return pages

    async def unknown(self, start: datetime, end: datetime) -> list[Span]:
        """Sub-ranges of ``[start, end)`` neither covered in storage nor made known to this run.

        Pages that completed while storage was being asked count as known, so a
        request never fetches again what another one stored a moment ago.
        """
        self._mark = self._flight.mark()
        missing = await self._store.missing(self.request.market, self.request.timeframe, start, end)
        self.check_cancel()
        missing = [(max(a, start), min(b, end)) for a, b in missing]
        self._refresh_known()
        missing = subtract(missing, self.known)
        if missing and self._cache is not None:
            self._use_forming_tail(missing)
            missing = subtract(missing, self.known)
        return missing

    def _use_forming_tail(self, missing: list[Span]) -> None:
        """Take still-forming slots from the memory cache while it holds them fresh."""
        assert self._cache is not None
        tail = self._cache.get(FORMING_KIND, forming_key(*self.key))
        if not isinstance(tail, FormingTail):
            return
        # Only the slot still forming now: one that closed since the tail was cached has
        # final values on the exchange that the cached copy lacks.
        forming_now = self.request.timeframe.floor(self._clock())
        for a, b in missing:
            lo, hi = max(a, tail.start, forming_now), min(b, tail.end)
            if lo < hi:  # only slots storage still lacks: a closed slot's stored candle wins
                self.known.append((lo, hi))
                self.keep_fresh(tail.candles.between(utc_to_ms(lo), utc_to_ms(hi)))

    def _refresh_known(self) -> None:
        """Take in every page completed since storage was last asked."""
        for span, fresh in self._flight.completed_since(self.key, self._mark):
            self.keep_fresh(fresh)
            self.known.append(span)
        self._mark = self._flight.mark()

    def fetch_newest(self, gap: Span) -> list[InflightPage]:
        """Start (or join) the one page that ends where ``gap`` ends: the walk back for "latest N".

        Its answer decides how far back it reaches, so older pages wait for it.
        Returns nothing when a page completed since ``gap`` was computed moved the
        frontier: the caller must count what is known again before asking for more.
        """
        self._refresh_known()
        left = subtract([gap], self.known)
        if not left or left[-1][1] != gap[1]:
            return []
        start, end = left[-1]
        timeframe = self.request.timeframe
        page_start = max(start, timeframe.shift(end, -PAGE_SIZE))
        shared = self._flight.overlapping(self.key, [(page_start, end)])
        spans = [] if shared else [PageSpan(page_start, end, timeframe.count_between(page_start, end))]
        return self._start(spans, shared, newest_first=True)

    def _start(
        self, spans: list[PageSpan], shared: list[InflightPage], *, newest_first: bool
    ) -> list[InflightPage]:
        request = self.request
        own = [
            self._flight.register(
                self.key, span, self._router.ticket(request.priority, self._on_wait), self._before_page
            )
            for span in spans
        ]
        for page in own + shared:
            self._join(page)
        for page in shared:
            self._promote(page)
        for page in reversed(own) if newest_first else own:
            self._launch(page)
        self._own.extend(own)
        self.shared_pages += len(shared)
        return sorted(own + shared, key=lambda page: page.span.start)

    def _launch(self, page: InflightPage) -> None:
        self._running += 1
        page.task = asyncio.create_task(self._run_page(page))
        page.task.add_done_callback(lambda task, page=page: self._settle(page, task))

    def _settle(self, page: InflightPage, task: asyncio.Task[None]) -> None:
        """A page task ended: make sure its waiters hear of it.

        A task cancelled before its first step never runs its own handlers, so an
        abandon that lands that early would leave the page's future pending forever
        and every request sharing it hanging.
        """
        self._running -= 1
        failed = task.cancelled() or task.exception() is not None
        if not page.future.done() and page.task is task:
            error = task.exception() if not task.cancelled() else None
            self._flight.fail(page, error or asyncio.CancelledError())
        if failed or (page.future.done() and not page.future.cancelled() and page.future.exception()):
            self._halted = True
        self._top_up()

    async def wait(self, pages: list[InflightPage]) -> None:
        """Wait until every page is stored; the first failure or a cancel is raised at once."""
        pending = {page.future: page for page in pages if not page.future.done()}
        while pending:
            self.check_cancel()
            waiters: set[asyncio.Future[Any]] = set(pending)
            if self._cancel is not None:
                if self._cancel_waiter is None:
                    self._cancel_waiter = asyncio.ensure_future(self._cancel.wait())
                waiters.add(self._cancel_waiter)
            done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                page = pending.pop(future, None)  # type: ignore[call-overload]
                if page is not None:
                    self._take(page)
        self.check_cancel()
        for page in pages:
            self._take(page)

    async def read(self, start: datetime, end: datetime, *, keep_hot: bool = True) -> CandleColumns:
        """Stored candles in ``[start, end)`` with the freshly fetched forming ones laid over.

        ``keep_hot=False`` for a stream's chunks: the caller keeps them, and joining each
        one to the hot series would copy a growing series chunk after chunk.
        """
        request = self.request
        candles = await self._store.read_candles(
            request.market, request.timeframe, start, end, keep_hot=keep_hot
        )
        return self.overlay(candles, start, end)

    def overlay(self, candles: CandleColumns, start: datetime, end: datetime) -> CandleColumns:
        """``candles`` with this run's fresh candles in ``[start, end)`` laid over (fresh wins)."""
        return candles.merge(self.fresh_between(start, end))

    def fresh_between(self, start: datetime, end: datetime) -> CandleColumns:
        """Fresh (possibly still forming) candles this run holds in ``[start, end)``."""
        return self._fresh.between(utc_to_ms(start), utc_to_ms(end))

    def keep_fresh(self, candles: CandleColumns) -> None:
        """Remember candles that storage may not cover yet (the forming one)."""
        self._fresh = self._fresh.merge(candles)

    async def abandon(self, *, graceful: bool) -> None:
        """Leave every unfinished page; stop the ones nobody else waits for.

        With ``graceful`` the run waits (briefly) for those pages to stop, so no
        exchange call of this request is still under way once it reports.
        """
        self._halted = True
        self._sources.clear()
        stopping: list[asyncio.Task[None]] = []
        for page in self._joined:
            if id(page) in self._released or page.future.done():
                continue
            self._released.add(id(page))
            page.interest -= 1
            if page.interest <= 0 and not page.writing and page.task is not None:
                page.task.cancel()
                stopping.append(page.task)
        self.close()
        if graceful and stopping:
            await asyncio.wait(stopping, timeout=_ABANDON_WAIT_S)

    def close(self) -> None:
        """Release the cancel watcher."""
        if self._cancel_waiter is not None:
            self._cancel_waiter.cancel()
            self._cancel_waiter = None

    def _join(self, page: InflightPage) -> None:
        page.interest += 1
        self._joined.append(page)
        page.future.add_done_callback(lambda _future, page=page: self._on_done(page))

    def _promote(self, page: InflightPage) -> None:
        # A more urgent request must not wait behind a LOW page still queued: the
        # page takes this run's priority in the scheduler, keeping its place by arrival.
        if page.called or page.writing:
            return
        if self._router.raise_priority(page.ticket, self.request.priority):
            page.before_page = self._before_page

    def _on_done(self, page: InflightPage) -> None:
        if id(page) in self._released:
            return
        future = page.future
        if not future.cancelled() and future.exception() is None:
            self._take(page)

    def _take(self, page: InflightPage) -> None:
        future = page.future
        if future.cancelled():
            raise CancelledRequestError(
                f"a page of {self.request.market} {self.request.timeframe.code} candles was cancelled"
            )
        outcome = future.result()  # raises the page's own error, typed
        if id(page) in self._taken:
            return
        self._taken.add(id(page))
        self.known.append(outcome.known)
        self.keep_fresh(outcome.fresh)
        if outcome.exhausted:
            self.exhausted = True
        self.tracker.page_done(outcome.candles_in_span)


def clip_pages(
    planned: Iterable[Planned], start: datetime, end: datetime
) -> Iterator[tuple[Span, Planned | None]]:
    """Segments of ``[start, end)`` in ascending order: each planned page's part (``planned``
    ascending), and the stored parts between; made as they are wanted."""
    cursor = start
    for item in planned:
        item_start, item_end = _bounds(item)
        page_start, page_end = max(item_start, cursor), min(item_end, end)
        if page_start >= page_end:
            continue
        if cursor < page_start:
            yield (cursor, page_start), None
        yield (page_start, page_end), item
        cursor = page_end
    if cursor < end:
        yield (cursor, end), None


def _own_spans(timeframe: Timeframe, ranges: list[Span]) -> Iterator[PageSpan]:
    return itertools.chain.from_iterable(iter_pages(timeframe, a, b) for a, b in ranges)


def _bounds(item: Planned) -> Span:
    return item.bounds if isinstance(item, InflightPage) else (item.start, item.end)
