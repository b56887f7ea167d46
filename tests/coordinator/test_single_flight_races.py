"""Races inside single flight that a soak found: a shared page must always settle."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from backbone.coordinator import CandleRequest, Coordinator
from backbone.coordinator.planner import PageSpan
from backbone.domain.models import utc_now
from backbone.domain.priority import Priority
from backbone.domain.timeframes import parse_timeframe

MINUTE = parse_timeframe("1m")


async def test_a_page_raised_before_its_task_first_ran_is_fetched_once_at_the_new_priority(
    simulator: Any, coordinator: Coordinator
) -> None:
    # A HIGH request that joins a LOW page in the very loop turn the page was created
    # raises the page's ticket in place: the task is never cancelled, and both
    # requests get the one call.
    service = coordinator._candles
    end = MINUTE.floor(utc_now()) - timedelta(hours=2)
    start = end - timedelta(minutes=100)
    low = service._new_run(CandleRequest("KRW-BTC", MINUTE, None, start, end, Priority.LOW), None, None, None)
    high = service._new_run(CandleRequest("KRW-BTC", MINUTE, None, start, end, Priority.HIGH), None, None, None)
    before = simulator.stats.calls["candle"]
    low_pages = low._start([PageSpan(start, end, 100)], [], newest_first=False)
    high_pages = high._start([], low_pages, newest_first=False)
    assert high_pages[0].priority is Priority.HIGH
    await asyncio.wait_for(high.wait(high_pages), 10)
    await asyncio.wait_for(low.wait(low_pages), 10)
    assert simulator.stats.calls["candle"] - before == 1
    assert high_pages[0].task is not None and not high_pages[0].task.cancelled()
    assert len(await high.read(start, end)) > 90


async def test_a_page_abandoned_before_its_task_first_ran_fails_its_future(coordinator: Coordinator) -> None:
    service = coordinator._candles
    end = MINUTE.floor(utc_now()) - timedelta(hours=3)
    start = end - timedelta(minutes=50)
    run = service._new_run(CandleRequest("KRW-ETH", MINUTE, None, start, end, Priority.NORMAL), None, None, None)
    pages = run._start([PageSpan(start, end, 50)], [], newest_first=False)
    await run.abandon(graceful=True)
    await asyncio.sleep(0)
    assert pages[0].future.done()
    assert coordinator.inflight_pages() == 0
