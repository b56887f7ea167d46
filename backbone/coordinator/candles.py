"""The candle service: answers candle requests from storage, fetching only what is missing.

A range request becomes an aligned range; storage's coverage says what is missing;
the missing ranges become pages of at most 200 slots, run concurrently within the
priority's budget. A "latest N" request walks back from its end one page at a time,
the way Upbit pages, so gaps (minutes without trades) cost no extra calls. Every
page is stored, with the span its answer proves complete as coverage, before anyone
waiting for it is told. May call: the router (exchange) and storage; nothing above.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from backbone.coordinator.candle_run import (
    FORMING_KIND,
    CandleRun,
    FormingTail,
    clip_pages,
    forming_key,
)
from backbone.coordinator.derived import derive_from_minutes
from backbone.coordinator.gap_fill import fill_gaps
from backbone.coordinator.planner import history_floor
from backbone.coordinator.progress import ProgressCallback
from backbone.coordinator.requests import CandleRequest, CandleResult
from backbone.coordinator.single_flight import BeforePage, InflightPage, PageOutcome, SingleFlight
from backbone.domain.candle_columns import CandleColumns
from backbone.domain.candle_range import closed_end, count_end, range_slots
from backbone.domain.clock import ms_to_utc, utc_to_ms
from backbone.domain.models import utc_now
from backbone.domain.timeframes import TIMEFRAMES, Timeframe
from backbone.router.endpoints import MAX_CANDLE_COUNT as PAGE_SIZE

if TYPE_CHECKING:
    from backbone.router import CandlePage, SmartRouter
    from backbone.router.scheduler import WaitListener
    from backbone.storage import MarketStore, MemoryCache

STREAM_CHUNK_SLOTS = 5 * PAGE_SIZE  # stored stretches are streamed in chunks of this many slots


class CandleService:
    """Plans, fetches (single flight), stores and reads candles."""

    def __init__(
        self,
        router: SmartRouter,
        store: MarketStore,
        cache: MemoryCache | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._router = router
        self._clock = clock
        self._store = store
        self._cache = cache
        self._flight = SingleFlight()

    @property
    def flight(self) -> SingleFlight:
        """The registry of pages in flight (read-only use: metrics and tests)."""
        return self._flight

    async def get(
        self,
        request: CandleRequest,
        *,
        progress: ProgressCallback | None = None,
        before_page: BeforePage | None = None,
        cancel: asyncio.Event | None = None,
        on_wait: WaitListener | None = None,
    ) -> CandleResult:
        """Answer one request; see ``Coordinator.get_candles``."""
        run = self._new_run(request, progress, before_page, cancel, on_wait)
        try:
            if request.by_count:
                candles = await self._latest(run)
            else:
                candles = await self._range(run)
        except BaseException as exc:
            await run.abandon(graceful=not isinstance(exc, asyncio.CancelledError))
            raise
        run.close()
        run.tracker.finish(len(candles))
        calls = run.upstream_calls
        return CandleResult(
            candles=candles,
            upstream_calls=calls,
            from_storage=calls == 0 and run.shared_pages == 0,
            shared_pages=run.shared_pages,
        )

    async def stream(
        self,
        request: CandleRequest,
        *,
        progress: ProgressCallback | None = None,
        before_page: BeforePage | None = None,
        cancel: asyncio.Event | None = None,
        on_wait: WaitListener | None = None,
    ) -> AsyncIterator[CandleColumns]:
        """Yield finished, contiguous chunks ascending; see ``Coordinator.stream_candles``."""
        if request.by_count:
            result = await self.get(
                request, progress=progress, before_page=before_page, cancel=cancel, on_wait=on_wait
            )
            for index in range(0, len(result.candles), STREAM_CHUNK_SLOTS):
                yield result.candles[index : index + STREAM_CHUNK_SLOTS]
            return
        run = self._new_run(request, progress, before_page, cancel, on_wait)
        timeframe = request.timeframe
        sent = 0
        try:
            assert request.start is not None  # a range request, checked on construction
            start, end = range_slots(timeframe, request.start, request.end, self._clock())
            await derive_from_minutes(self._store, request.market, timeframe, start, end)
            pages = await run.fetch(start, end) if start < end else iter(())
            previous: CandleColumns | None = None
            for (segment_start, segment_end), page in clip_pages(pages, start, end):
                chunks = _chunks(timeframe, segment_start, segment_end, whole=page is not None)
                for chunk_start, chunk_end in chunks:
                    if page is not None:
                        await run.wait_planned([page])
                    run.check_cancel()
                    candles = await run.read(chunk_start, chunk_end, keep_hot=False)
                    if request.fill_gaps:
                        candles = fill_gaps(candles, timeframe, chunk_start, chunk_end, previous)
                    if len(candles):
                        previous = candles.last(1)
                        sent += len(candles)
                        yield candles
        except BaseException as exc:
            await run.abandon(graceful=not isinstance(exc, asyncio.CancelledError | GeneratorExit))
            raise
        run.close()
        run.tracker.finish(sent)

    async def close(self) -> None:
        """Stop every page still in flight (on shutdown)."""
        tasks = []
        for page in self._flight.all_pages():
            if page.task is not None and not page.task.done() and not page.writing:
                page.task.cancel()
                tasks.append(page.task)
        if tasks:
            await asyncio.wait(tasks, timeout=5.0)

    def _new_run(
        self,
        request: CandleRequest,
        progress: ProgressCallback | None,
        before_page: BeforePage | None,
        cancel: asyncio.Event | None,
        on_wait: WaitListener | None = None,
    ) -> CandleRun:
        return CandleRun(
            request,
            store=self._store,
            cache=self._cache,
            flight=self._flight,
            router=self._router,
            run_page=self._run_page,
            progress=progress,
            before_page=before_page,
            cancel=cancel,
            on_wait=on_wait,
            clock=self._clock,
        )

    async def _range(self, run: CandleRun) -> CandleColumns:
        request = run.request
        assert request.start is not None
        start, end = range_slots(request.timeframe, request.start, request.end, self._clock())
        if start >= end:
            return CandleColumns.empty(request.market, request.timeframe)
        await derive_from_minutes(self._store, request.market, request.timeframe, start, end)
        pages = await run.fetch(start, end)
        await run.wait_planned(pages)
        candles = await run.read(start, end)
        if request.fill_gaps:
            candles = fill_gaps(candles, request.timeframe, start, end)
        return candles

    async def _latest(self, run: CandleRun) -> CandleColumns:
        """The latest ``count`` candles before the end, walking back one page at a time.

        Each page asks for up to 200 candles before the oldest known one, the way
        Upbit pages: 1,000 candles take 5 calls even when some minutes had no
        trades. The walk stops when enough candles are known or history ends.
        """
        request = run.request
        timeframe = request.timeframe
        wanted = request.count or 1
        end = count_end(timeframe, request.end, self._clock())
        floor = history_floor(timeframe)
        reach = floor if wanted >= timeframe.count_between(floor, end) else timeframe.shift(end, -wanted)
        await derive_from_minutes(self._store, request.market, timeframe, reach, end)
        known_from = end  # [known_from, end) is complete in storage or fresh in hand
        known = 0
        while True:
            gaps = await run.unknown(floor, end)
            frontier = gaps[-1][1] if gaps else floor
            if frontier > known_from:  # coverage shrank under us (a market was deleted)
                known_from, known = end, 0
            if frontier < known_from:
                known += await self._count_stored(run, frontier, known_from)
                known_from = frontier
            if known >= wanted or not gaps or run.exhausted:
                break
            run.tracker.ensure_total(run.tracker.pages_done + math.ceil((wanted - known) / PAGE_SIZE))
            await run.wait(run.fetch_newest(gaps[-1]))
        candles = await self._store.read_latest_candles(request.market, timeframe, end, wanted)
        candles = run.overlay(candles, known_from, end).last(wanted)
        if request.fill_gaps and len(candles):
            candles = fill_gaps(candles, timeframe, ms_to_utc(int(candles.start_ms[0])), end).last(wanted)
        return candles

    async def _count_stored(self, run: CandleRun, start: datetime, end: datetime) -> int:
        """Candles in ``[start, end)``: stored rows plus fresh ones storage does not hold."""
        request = run.request
        # A count: joining each step of a long walk to the hot series would copy it again and again.
        stored = await self._store.read_candles(request.market, request.timeframe, start, end, keep_hot=False)
        fresh = run.fresh_between(start, end)
        extra = int(np.count_nonzero(~np.isin(fresh.start_ms, stored.start_ms, assume_unique=True)))
        return len(stored) + extra

    async def _run_page(self, page: InflightPage) -> None:
        """Fetch one page in the scheduler's order (its ticket), store it, then publish it."""
        market, timeframe = page.key[0], TIMEFRAMES[page.key[1]]
        try:
            if page.before_page is not None:
                await page.before_page()
            page.started = True
            try:
                answer = await self._router.fetch_candles(
                    market, timeframe, count=page.span.slots, to=page.span.end, ticket=page.ticket
                )
            except Exception:
                page.called = True
                raise
            page.called = True
        except asyncio.CancelledError as exc:
            self._flight.fail(page, exc)
            raise
        except Exception as exc:
            self._flight.fail(page, exc)
            return
        page.writing = True
        try:
            outcome = await self._store_page(page, answer)
        except Exception as exc:
            self._flight.fail(page, exc)
            return
        except asyncio.CancelledError as exc:
            self._flight.fail(page, exc)
            raise
        if self._cache is not None and outcome.forming_from < page.span.end:
            tail = FormingTail(outcome.forming_from, page.span.end, outcome.fresh)
            self._cache.put(FORMING_KIND, forming_key(*page.key), tail)
        self._flight.complete(page, outcome)

    async def _store_page(self, page: InflightPage, answer: CandlePage) -> PageOutcome:
        """Store one answer; Upbit sends the ``count`` newest candles before ``to``, so
        everything from the oldest returned up to ``to`` is complete, and a short answer
        means nothing older exists at all.

        Only candles the exchange had closed are recorded as covered; this machine's
        clock may be off by seconds, so the exchange's own time of the answer decides.
        """
        market, timeframe = page.key[0], TIMEFRAMES[page.key[1]]
        span = page.span
        candles = answer.candles
        rows = candles[: int(np.searchsorted(candles.start_ms, utc_to_ms(span.end)))]
        in_span = rows.between(utc_to_ms(span.start), utc_to_ms(span.end))
        exhausted = len(candles) < span.slots
        if exhausted:
            known_start = min(span.start, history_floor(timeframe))
        elif len(rows):
            known_start = min(span.start, ms_to_utc(int(rows.start_ms[0])))
        else:
            known_start = span.start
        cover_end = min(span.end, closed_end(timeframe, answer.exchange_time, known_start))
        covered = (known_start, cover_end) if known_start < cover_end else None
        await self._store.write_candles(market, timeframe, rows, covered=covered)
        fresh = rows[int(np.searchsorted(rows.start_ms, utc_to_ms(cover_end))) :]
        return PageOutcome(
            candles_in_span=len(in_span),
            fresh=fresh,
            exhausted=exhausted,
            known=(known_start, span.end),
            forming_from=max(cover_end, span.start),
        )


def _chunks(
    timeframe: Timeframe, start: datetime, end: datetime, *, whole: bool
) -> list[tuple[datetime, datetime]]:
    """``[start, end)`` whole (a page) or cut into stream chunks (a stored stretch)."""
    if whole:
        return [(start, end)]
    chunks = []
    cursor = start
    while cursor < end:
        chunk_end = min(end, timeframe.shift(cursor, STREAM_CHUNK_SLOTS))
        chunks.append((cursor, chunk_end))
        cursor = chunk_end
    return chunks
