"""Single flight for candle pages: overlapping requests share the exchange calls in flight.

Pages in flight are kept per (market, timeframe) by their slot span. A new request
subtracts from what it is missing every span already in flight (and waits on those
pages) and every span completed since it asked storage, then fetches only the
rest. Interest is counted per page, so a page is abandoned only when no request
still waits for it; a page that is writing to storage always finishes.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from backbone.coordinator.planner import PageSpan, Span, overlaps
from backbone.domain.candle_columns import CandleColumns
from backbone.domain.priority import Priority
from backbone.router import Ticket

FlightKey = tuple[str, str]  # (market, timeframe code)
BeforePage = Callable[[], Awaitable[None]]

_RECENT_KEEP = 4096  # completions remembered per key, for requests still reading storage


@dataclass(slots=True)
class PageOutcome:
    """What one page brought and what it made known.

    ``known`` is the span whose candles are now all in storage or in ``fresh``: at
    least the page's own span, further back when the exchange's answer reached
    past it (every candle from the oldest returned up to ``to`` came back).
    """

    candles_in_span: int
    fresh: CandleColumns  # candles that may have been forming when fetched (not covered)
    exhausted: bool  # the exchange has no candles older than these
    known: Span
    forming_from: datetime  # slots from here to the page's end may still have been forming


@dataclass(eq=False, slots=True)
class InflightPage:
    """One upstream page being fetched, shared by every request that needs its span."""

    key: FlightKey
    span: PageSpan
    future: asyncio.Future[PageOutcome]
    ticket: Ticket  # the page's place in the scheduler; its priority rises with its waiters
    before_page: BeforePage | None = None
    interest: int = 0
    started: bool = False  # handed to the router (it may still wait for a slot)
    called: bool = False  # the router answered or failed: an exchange call was spent
    writing: bool = False  # storage is being written: never cancel now
    task: asyncio.Task[None] | None = None

    @property
    def bounds(self) -> Span:
        return (self.span.start, self.span.end)

    @property
    def priority(self) -> Priority:
        """The most urgent waiter's priority."""
        return self.ticket.priority


class SingleFlight:
    """The registry of candle pages in flight and recently completed."""

    def __init__(self) -> None:
        self._inflight: dict[FlightKey, dict[Span, InflightPage]] = {}
        self._recent: dict[FlightKey, deque[tuple[int, Span, CandleColumns]]] = {}
        self._sequence = 0

    def mark(self) -> int:
        """A position to pass to ``completed_since`` later (take it before asking storage)."""
        return self._sequence

    def completed_since(self, key: FlightKey, mark: int) -> list[tuple[Span, CandleColumns]]:
        """Spans made known by pages that finished after ``mark``, with their fresh candles."""
        recent = self._recent.get(key)
        if not recent:
            return []
        return [(span, fresh) for sequence, span, fresh in recent if sequence > mark]

    def overlapping(self, key: FlightKey, ranges: list[Span]) -> list[InflightPage]:
        """Pages in flight that overlap any of ``ranges``, ascending by start."""
        pages = self._inflight.get(key)
        if not pages or not ranges:
            return []
        hits = [
            page
            for page in pages.values()
            if not page.future.done() and any(overlaps(page.bounds, r) for r in ranges)
        ]
        hits.sort(key=lambda page: page.span.start)
        return hits

    def register(
        self, key: FlightKey, span: PageSpan, ticket: Ticket, before_page: BeforePage | None
    ) -> InflightPage:
        """A new page that this caller will fetch; others may join it until it completes."""
        future: asyncio.Future[PageOutcome] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_consume_exception)
        page = InflightPage(key=key, span=span, future=future, ticket=ticket, before_page=before_page)
        self._inflight.setdefault(key, {})[page.bounds] = page
        return page

    def complete(self, page: InflightPage, outcome: PageOutcome) -> None:
        """The page is in storage: remember its span, then wake its waiters."""
        self._forget(page)
        self._sequence += 1
        recent = self._recent.setdefault(page.key, deque(maxlen=_RECENT_KEEP))
        recent.append((self._sequence, outcome.known, outcome.fresh))
        if not page.future.done():
            page.future.set_result(outcome)

    def fail(self, page: InflightPage, error: BaseException) -> None:
        """The page failed or was abandoned; waiters see the error."""
        self._forget(page)
        if page.future.done():
            return
        if isinstance(error, asyncio.CancelledError):
            page.future.cancel()
        else:
            page.future.set_exception(error)

    def inflight_count(self) -> int:
        """How many pages are in flight now (for metrics and tests)."""
        return sum(len(pages) for pages in self._inflight.values())

    def all_pages(self) -> list[InflightPage]:
        """Every page in flight now."""
        return [page for pages in self._inflight.values() for page in pages.values()]

    def _forget(self, page: InflightPage) -> None:
        pages = self._inflight.get(page.key)
        if pages is not None and pages.get(page.bounds) is page:
            del pages[page.bounds]
            if not pages:
                del self._inflight[page.key]


def _consume_exception(future: asyncio.Future[PageOutcome]) -> None:
    # A page may fail after every waiter left; mark its error as seen so asyncio
    # does not log "exception was never retrieved" for it.
    if not future.cancelled():
        future.exception()
