"""Candle requests against the simulator and a real SQLite file: few calls, right answers.

Calls are counted where they land, at the simulator (``sim.stats.calls["candle"]``).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest

from backbone.coordinator import CandleRequest, Coordinator
from backbone.coordinator.planner import split_pages
from backbone.domain.clock import ms_to_utc
from backbone.domain.models import utc_now
from backbone.domain.priority import Priority
from backbone.domain.timeframes import TIMEFRAMES
from backbone.router import SmartRouter
from backbone.storage import MarketStore, MemoryCache
from tests.coordinator.helpers import (
    M1,
    ExchangeClock,
    assert_ascending_distinct,
    direct_candles,
    past_end,
    quiet_market,
)

BTC = "KRW-BTC"


def candle_calls(sim: Any) -> int:
    return sim.stats.calls["candle"]


async def test_thousand_candles_cold_take_five_calls_and_warm_take_none(
    simulator: Any, coordinator: Coordinator
) -> None:
    end = past_end()
    request = CandleRequest(BTC, M1, count=1000, end=end)

    cold = await coordinator.get_candles(request)

    assert candle_calls(simulator) == 5
    assert cold.upstream_calls == 5 and not cold.from_storage
    assert len(cold.candles.to_candles()) == 1000
    assert_ascending_distinct(cold.candles.to_candles())
    assert cold.candles.to_candles()[-1].start < end

    warm = await coordinator.get_candles(request)

    assert candle_calls(simulator) == 5
    assert warm.upstream_calls == 0 and warm.from_storage
    assert warm.candles.to_candles() == cold.candles.to_candles()


async def test_latest_candles_up_to_now_refetch_only_the_forming_candle_once_stale(
    simulator: Any, router: SmartRouter, store: MarketStore
) -> None:
    # One clock for the exchange, the coordinator and the memory cache, moved by the test:
    # half a minute into a minute, clear of the close margin, and no waiting.
    exchange = ExchangeClock(M1.floor(utc_now()) - timedelta(minutes=30, seconds=-30))
    simulator.rest.clock = exchange
    cache = MemoryCache(clock=lambda: exchange.ms / 1000)
    coordinator = Coordinator(router, store, cache, clock=lambda: ms_to_utc(exchange.ms))
    request = CandleRequest(BTC, M1, count=300)
    try:
        first = await coordinator.get_candles(request)
        assert first.upstream_calls == 2 and len(first.candles.to_candles()) == 300
        soon = await coordinator.get_candles(request)

        # Within the memory cache's budget the forming candle is answered from memory.
        assert soon.upstream_calls == 0 and soon.from_storage
        assert soon.candles.to_candles()[-1].start == first.candles.to_candles()[-1].start
        exchange.advance(cache.ttl("candle") + 0.1)

        later = await coordinator.get_candles(request)
    finally:
        await coordinator.close()

    # The still-forming candle is never stored as complete: one page brings it fresh.
    assert later.upstream_calls == 1
    assert candle_calls(simulator) == 3
    assert later.candles.to_candles()[-1].start == M1.floor(ms_to_utc(exchange.ms))
    assert_ascending_distinct(later.candles.to_candles())
    assert len(later.candles.to_candles()) == 300


async def test_a_range_overlapping_stored_data_fetches_only_the_missing_pages(
    simulator: Any, coordinator: Coordinator, store: MarketStore
) -> None:
    end = past_end()
    start = end - timedelta(minutes=1000)
    await coordinator.get_candles(CandleRequest(BTC, M1, start=start, end=start + timedelta(minutes=400)))
    assert candle_calls(simulator) == 2

    wider = await coordinator.get_candles(
        CandleRequest(BTC, M1, start=start + timedelta(minutes=200), end=end)
    )

    assert wider.upstream_calls == 3  # 600 missing minutes, nothing of the stored 200 again
    assert candle_calls(simulator) == 5
    assert 780 <= len(wider.candles.to_candles()) <= 800  # 800 minutes, a few without trades
    assert all(start + timedelta(minutes=200) <= c.start < end for c in wider.candles.to_candles())
    assert await store.missing(BTC, M1, start, end) == []


async def test_a_quiet_market_is_not_fetched_again(simulator: Any, coordinator: Coordinator) -> None:
    market = await quiet_market(simulator)
    request = CandleRequest(market, M1, count=500, end=past_end())
    before = candle_calls(simulator)

    first = await coordinator.get_candles(request)

    assert len(first.candles.to_candles()) == 500
    span = M1.count_between(first.candles.to_candles()[0].start, request.end)
    assert span > 500  # the market has minutes without trades
    assert candle_calls(simulator) - before == first.upstream_calls >= 3

    second = await coordinator.get_candles(request)

    assert candle_calls(simulator) - before == first.upstream_calls
    assert second.upstream_calls == 0 and second.candles.to_candles() == first.candles.to_candles()


async def test_hundred_identical_requests_at_once_share_five_calls(
    simulator: Any, coordinator: Coordinator
) -> None:
    request = CandleRequest(BTC, M1, count=1000, end=past_end())

    results = await asyncio.gather(*(coordinator.get_candles(request) for _ in range(100)))

    assert candle_calls(simulator) == 5
    assert sum(r.upstream_calls for r in results) == 5
    assert all(r.candles.to_candles() == results[0].candles.to_candles() for r in results)
    assert len(results[0].candles.to_candles()) == 1000


async def test_overlapping_requests_at_once_share_the_pages_in_flight(
    simulator: Any, coordinator: Coordinator
) -> None:
    end = past_end()
    start = end - timedelta(minutes=1000)
    wide = CandleRequest(BTC, M1, start=start, end=end)
    narrow = CandleRequest(BTC, M1, start=start + timedelta(minutes=300), end=end - timedelta(minutes=100))

    results = await asyncio.gather(coordinator.get_candles(wide), coordinator.get_candles(narrow))

    assert candle_calls(simulator) == 5
    assert results[1].upstream_calls == 0 and results[1].shared_pages > 0
    assert results[1].candles.to_candles() == [c for c in results[0].candles.to_candles() if narrow.start <= c.start < narrow.end]


async def test_every_candle_equals_the_exchange_truth(simulator: Any, coordinator: Coordinator) -> None:
    end = past_end()
    start = end - timedelta(minutes=600)
    for market in (BTC, await quiet_market(simulator)):
        result = await coordinator.get_candles(CandleRequest(market, M1, start=start, end=end))
        await asyncio.sleep(1.1)  # leave the rate budget to the direct calls
        truth = await direct_candles(simulator, market, M1, start, end)
        assert_ascending_distinct(result.candles.to_candles())
        assert result.candles.to_candles() == truth
        assert len(truth) > 0


async def test_fill_gaps_gives_a_continuous_series(simulator: Any, coordinator: Coordinator) -> None:
    market = await quiet_market(simulator)
    end = past_end()
    start = end - timedelta(minutes=400)
    plain = await coordinator.get_candles(CandleRequest(market, M1, start=start, end=end))
    filled = await coordinator.get_candles(CandleRequest(market, M1, start=start, end=end, fill_gaps=True))

    starts = [c.start for c in filled.candles.to_candles()]
    assert all(b - a == timedelta(minutes=1) for a, b in pairwise(starts))
    assert starts[0] == plain.candles.to_candles()[0].start and starts[-1] == end - timedelta(minutes=1)
    assert [c for c in filled.candles.to_candles() if not c.filled] == plain.candles.to_candles()
    previous = None
    for candle in filled.candles.to_candles():
        if candle.filled:
            assert previous is not None
            assert candle.open == candle.high == candle.low == candle.close == previous.close
            assert candle.volume == 0 and candle.value == 0
        previous = candle
    assert filled.upstream_calls == 0

    latest = await coordinator.get_candles(CandleRequest(market, M1, count=300, end=end, fill_gaps=True))
    assert len(latest.candles.to_candles()) == 300
    assert latest.candles.to_candles()[-1].start == end - timedelta(minutes=1)


async def test_before_page_is_awaited_before_every_upstream_page(
    simulator: Any, coordinator: Coordinator
) -> None:
    calls = 0

    async def gate() -> None:
        nonlocal calls
        calls += 1

    await coordinator.get_candles(CandleRequest(BTC, M1, count=700, end=past_end()), before_page=gate)

    assert calls == candle_calls(simulator) == 4


async def test_low_priority_streams_contiguous_chunks_in_ascending_time(
    simulator: Any, coordinator: Coordinator
) -> None:
    end = past_end()
    start = end - timedelta(days=1)
    await coordinator.get_candles(CandleRequest(BTC, M1, start=start + timedelta(hours=6), end=start + timedelta(hours=8)))
    request = CandleRequest(BTC, M1, start=start, end=end, priority=Priority.LOW)
    events = []

    chunks = [chunk.to_candles() async for chunk in coordinator.stream_candles(request, progress=events.append)]

    joined = [c for chunk in chunks for c in chunk]
    assert_ascending_distinct(joined)
    assert all(chunk for chunk in chunks)
    assert len(chunks) > 5
    whole = await coordinator.get_candles(CandleRequest(BTC, M1, start=start, end=end))
    assert whole.upstream_calls == 0 and joined == whole.candles.to_candles()
    assert events[-1].done and [e.percent for e in events] == sorted(e.percent for e in events)


async def test_three_days_report_monotone_progress_ending_at_100(
    simulator: Any, coordinator: Coordinator
) -> None:
    end = past_end()
    request = CandleRequest(BTC, M1, start=end - timedelta(days=3), end=end)
    events = []

    result = await coordinator.get_candles(request, progress=events.append)

    assert result.upstream_calls == candle_calls(simulator) == 22  # 4320 minutes
    assert [e.pages_done for e in events] == sorted(e.pages_done for e in events)
    assert [e.percent for e in events] == sorted(e.percent for e in events)
    assert events[-1].done and events[-1].percent == 100.0 and events[-1].pages_total == 22
    assert sum(1 for e in events if e.done) == 1
    assert any(e.eta_s is not None and not e.done for e in events)


async def test_cancel_at_half_stops_calls_keeps_pages_and_resumes(
    make_simulator: Any, store: MarketStore
) -> None:
    from backbone.domain.errors import CancelledRequestError
    from backbone.router import SmartRouter
    from backbone.storage import MemoryCache

    sim = await make_simulator(latency_ms=5.0, jitter_ms=1.0)
    async with SmartRouter(sim.rest_url, sim.ws_url) as router:
        coordinator = Coordinator(router, store, MemoryCache())
        end = past_end()
        start = end - timedelta(days=3)
        request = CandleRequest(BTC, M1, start=start, end=end)
        cancel = asyncio.Event()
        seen = []

        def on_progress(event: Any) -> None:
            seen.append(event)
            if event.percent >= 50:
                cancel.set()

        with pytest.raises(CancelledRequestError):
            await coordinator.get_candles(request, progress=on_progress, cancel=cancel)
        await asyncio.sleep(0.3)
        calls_at_cancel = candle_calls(sim)
        await asyncio.sleep(1.0)
        assert candle_calls(sim) == calls_at_cancel  # nothing more went out
        assert calls_at_cancel < 22

        missing = await store.missing(BTC, M1, start, end)
        stored_slots = 4320 - sum(M1.count_between(a, b) for a, b in missing)
        # At least the pages reported done are kept (the smallest ones, at the least: one
        # page of the range is shorter than 200 slots).
        sizes = sorted(page.slots for page in split_pages(M1, M1.floor(start), end))
        assert stored_slots >= sum(sizes[: seen[-1].pages_done])
        expected = sum(len(split_pages(M1, a, b)) for a, b in missing)

        resumed = await coordinator.get_candles(request)

        assert resumed.upstream_calls == expected == candle_calls(sim) - calls_at_cancel
        assert 4250 <= len(resumed.candles.to_candles()) <= 4320  # a few minutes had no trades
        await coordinator.close()


async def test_cancelling_the_task_propagates_and_keeps_stored_pages(
    simulator: Any, coordinator: Coordinator, store: MarketStore
) -> None:
    end = past_end()
    start = end - timedelta(days=2)
    some_stored = asyncio.Event()

    def on_progress(event: Any) -> None:
        if event.pages_done >= 1:  # a page arrived and was stored
            some_stored.set()

    request = CandleRequest(BTC, M1, start=start, end=end)
    task = asyncio.create_task(coordinator.get_candles(request, progress=on_progress))
    await some_stored.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # A page being written when the task was cancelled finishes its write; the others stop.
    for _ in range(1000):
        if coordinator.inflight_pages() == 0:
            break
        await asyncio.sleep(0.01)
    assert coordinator.inflight_pages() == 0
    assert await store.covered_ranges(BTC, M1) != []


async def test_history_before_listing_is_recorded_once(simulator: Any, coordinator: Coordinator) -> None:
    days = await coordinator.get_candles(CandleRequest(BTC, "1d", count=5000))
    assert 0 < len(days.candles.to_candles()) < 5000  # the walk stopped where the exchange's history ends
    calls = candle_calls(simulator)

    again = await coordinator.get_candles(CandleRequest(BTC, "1d", count=5000))

    assert candle_calls(simulator) - calls == again.upstream_calls <= 1  # only the forming day
    assert [c.start for c in again.candles.to_candles()][:-1] == [c.start for c in days.candles.to_candles()][:-1]


async def test_a_normal_request_is_not_held_behind_low_pages_waiting_for_admission(
    simulator: Any, router: SmartRouter, coordinator: Coordinator
) -> None:
    end = past_end()
    start = end - timedelta(minutes=600)
    load: list[str | None] = ["CPU at 99% (limit 70%)"]
    router.scheduler.admission = lambda: load[0]
    low = asyncio.create_task(
        coordinator.get_candles(CandleRequest(BTC, M1, start=start, end=end, priority=Priority.LOW))
    )
    for _ in range(500):
        if router.scheduler.waiting()[Priority.LOW] == 3:
            break
        await asyncio.sleep(0.01)
    assert router.scheduler.waiting()[Priority.LOW] == 3
    assert candle_calls(simulator) == 0  # every LOW page is held back by the machine's load

    normal = await asyncio.wait_for(coordinator.get_candles(CandleRequest(BTC, M1, start=start, end=end)), 5)

    # The chart joined the LOW pages; the scheduler moved them up, nothing was cancelled or sent twice.
    assert candle_calls(simulator) == 3
    assert normal.upstream_calls == 0 and normal.shared_pages == 3
    load[0] = None
    low_result = await asyncio.wait_for(low, 5)
    assert low_result.candles.to_candles() == normal.candles.to_candles()
    assert candle_calls(simulator) == 3


async def test_exchange_errors_propagate_typed_and_leave_nothing_in_flight(
    simulator: Any, coordinator: Coordinator
) -> None:
    from backbone.domain.errors import BadRequestError

    with pytest.raises(BadRequestError):
        await coordinator.get_candles(CandleRequest("KRW-NOSUCHCOIN", M1, count=500, end=past_end()))
    assert coordinator.inflight_pages() == 0


async def test_leaving_a_stream_early_stops_its_pages(simulator: Any, coordinator: Coordinator) -> None:
    from contextlib import aclosing

    end = past_end()
    request = CandleRequest(BTC, M1, start=end - timedelta(days=2), end=end, priority=Priority.LOW)
    async with aclosing(coordinator.stream_candles(request)) as stream:
        async for chunk in stream:
            assert len(chunk)
            break
    await asyncio.sleep(0.2)
    calls = candle_calls(simulator)
    await asyncio.sleep(0.5)
    assert candle_calls(simulator) == calls < 15  # 2 days are 15 pages
    assert coordinator.inflight_pages() == 0


async def test_a_candle_that_closed_since_it_was_cached_as_forming_comes_final_from_the_exchange(
    simulator: Any, router: SmartRouter, store: MarketStore
) -> None:
    seconds = TIMEFRAMES["1s"]
    # One clock for the exchange, the coordinator and the memory cache, moved by the test:
    # the second closes when the test says so, not when a loaded machine gets round to it.
    exchange = ExchangeClock(M1.floor(utc_now()) - timedelta(minutes=30, milliseconds=-400))
    simulator.rest.clock = exchange
    # A second whose candle still changes after this moment, so a stale copy would show.
    for _ in range(60):
        second = seconds.floor(ms_to_utc(exchange.ms))
        partial = await direct_candles(simulator, BTC, seconds, second, second + timedelta(seconds=1))
        exchange.advance(1.2)
        final = await direct_candles(simulator, BTC, seconds, second, second + timedelta(seconds=1))
        exchange.advance(-1.2)
        if partial and partial != final:
            break
        exchange.advance(1.0)
    else:
        raise AssertionError("no second of KRW-BTC trades after its first 0.4 s in a minute")
    cache = MemoryCache(clock=lambda: exchange.ms / 1000)
    coordinator = Coordinator(router, store, cache, clock=lambda: ms_to_utc(exchange.ms))
    request = CandleRequest(BTC, seconds, count=5)
    try:
        first = await coordinator.get_candles(request)
        forming = first.candles.to_candles()[-1].start
        assert forming == seconds.floor(ms_to_utc(exchange.ms))
        # That second closes, well within the memory cache's budget.
        exchange.advance(1.2)

        again = await coordinator.get_candles(request)
    finally:
        await coordinator.close()

    truth = await direct_candles(simulator, BTC, seconds, forming, forming + timedelta(seconds=1))
    held = next(c for c in again.candles.to_candles() if c.start == forming)
    assert again.upstream_calls >= 1
    assert [held] == truth


async def test_a_range_of_years_starts_only_a_window_of_pages_and_cancels_at_once(
    simulator: Any, router: SmartRouter, coordinator: Coordinator
) -> None:
    from backbone.coordinator.candle_run import PAGES_AHEAD
    from backbone.domain.errors import CancelledRequestError

    start = M1.floor(utc_now()) - timedelta(days=365 * 8)  # about 21,000 pages of minutes
    router.scheduler.admission = lambda: "CPU at 99% (limit 70%)"  # hold LOW pages in the queue
    cancel = asyncio.Event()
    events: list[Any] = []
    task = asyncio.create_task(
        coordinator.get_candles(
            CandleRequest(BTC, M1, start=start, priority=Priority.LOW), progress=events.append, cancel=cancel
        )
    )
    for _ in range(500):
        if coordinator.inflight_pages() >= PAGES_AHEAD:
            break
        await asyncio.sleep(0.01)
    assert coordinator.inflight_pages() == PAGES_AHEAD  # not one task per page of the range
    assert router.scheduler.waiting()[Priority.LOW] == PAGES_AHEAD
    assert events and events[0].pages_total >= 21_000  # the plan still knows its length

    cancel.set()
    with pytest.raises(CancelledRequestError):
        await task
    assert coordinator.inflight_pages() == 0
    assert router.scheduler.waiting()[Priority.LOW] == 0
    assert candle_calls(simulator) == 0
