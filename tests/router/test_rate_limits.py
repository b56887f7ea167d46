"""The REST rate limiter against the simulator: full use of Upbit's budget, no 429, priorities."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from backbone.domain.priority import Priority
from backbone.domain.timeframes import parse_timeframe
from backbone.router import SmartRouter
from tests.router.helpers import percentile

MINUTE = parse_timeframe("1m")
PRIORITIES = (Priority.CRITICAL, Priority.HIGH, Priority.NORMAL, Priority.LOW)


@pytest.fixture
async def router(simulator: Any) -> AsyncIterator[SmartRouter]:
    async with SmartRouter(simulator.rest_url, simulator.ws_url) as started:
        yield started


async def _hammer(duration_s: float, call: Any, callers: int, priorities: Any) -> list[float]:
    """``callers`` tasks calling ``call(priority)`` back to back; cancelled when time is up."""
    done: list[float] = []

    async def caller(index: int) -> None:
        priority = priorities[index % len(priorities)]
        while True:
            await call(priority)
            done.append(time.monotonic())

    await _run_for(duration_s, [caller(i) for i in range(callers)])
    return done


async def _run_for(duration_s: float, coroutines: list[Any]) -> None:
    """Run the coroutines for ``duration_s`` and cancel them (queued callers need not drain)."""
    tasks = [asyncio.create_task(c) for c in coroutines]
    await asyncio.sleep(duration_s)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_fifty_callers_on_one_group_use_the_budget_without_a_single_429(
    simulator: Any, router: SmartRouter
) -> None:
    # The rate the budget allows is asserted exactly on virtual time (tests/router/test_scheduler.py);
    # on the wall clock this checks what no machine load may change: the callers queued on the
    # group's tokens, the highest priority was served first, and the exchange never refused a call.
    simulator.stats.reset()
    answered: Counter[Priority] = Counter()

    async def call(priority: Priority) -> None:
        await router.fetch_tickers(["KRW-BTC"], priority=priority)
        answered[priority] += 1

    await _hammer(5.0, call, callers=50, priorities=PRIORITIES)

    assert simulator.stats.statuses[429] == 0
    assert router.stats().status_429 == 0
    assert answered[Priority.CRITICAL] == max(answered.values())
    assert any(wait > 0 for waits in router.stats().token_wait_ms.values() for wait in waits)


async def test_critical_tickers_never_wait_while_low_backfill_saturates_candles(
    simulator: Any, router: SmartRouter
) -> None:
    simulator.stats.reset()

    async def low_backfill() -> None:
        while True:
            await router.fetch_candles("KRW-BTC", MINUTE, count=50, priority=Priority.LOW)

    low = [asyncio.create_task(low_backfill()) for _ in range(20)]
    await asyncio.sleep(1.2)  # let LOW fill the candle window
    assert not router.has_headroom("candle")
    waits: list[float] = []
    for _ in range(10):
        before = len(router.stats().token_wait_ms[Priority.CRITICAL])
        await router.fetch_tickers(["KRW-BTC"], priority=Priority.CRITICAL)
        waits.extend(router.stats().token_wait_ms[Priority.CRITICAL][before:])
        await asyncio.sleep(0.1)
    for task in low:
        task.cancel()
    await asyncio.gather(*low, return_exceptions=True)
    # How long each took is wall time on a shared machine; that a saturated group never
    # delays another group's call is asserted exactly on virtual time in test_scheduler.py.
    assert len(waits) >= 10
    assert max(router.stats().token_wait_ms[Priority.LOW]) > 50  # LOW really was held back
    assert simulator.stats.statuses[429] == 0


async def test_critical_candles_take_the_reserve_while_low_saturates_candles(
    simulator: Any, router: SmartRouter
) -> None:
    simulator.stats.reset()

    async def low_backfill() -> None:
        while True:
            await router.fetch_candles("KRW-ETH", MINUTE, count=50, priority=Priority.LOW)

    low = [asyncio.create_task(low_backfill()) for _ in range(20)]
    await asyncio.sleep(1.2)
    assert not router.scheduler.reserve_held()  # nobody needs it: LOW spends the whole window
    lease = router.hold_critical_reserve()  # a live bot starts
    await asyncio.wait_for(lease.ready(), 2.0)
    waits: list[float] = []
    for _ in range(6):
        started = time.perf_counter()
        page = await router.fetch_candles("KRW-BTC", MINUTE, count=5, priority=Priority.CRITICAL)
        waits.append((time.perf_counter() - started) * 1000)
        assert len(page.candles) == 5
        await asyncio.sleep(0.5)
    for task in low:
        task.cancel()
    await asyncio.gather(*low, return_exceptions=True)
    lease.release()
    low_waits = router.stats().token_wait_ms[Priority.LOW]
    critical_waits = router.stats().token_wait_ms[Priority.CRITICAL]
    assert percentile(low_waits, 90) > 100  # the group was saturated by LOW
    assert max(critical_waits) < 50, f"CRITICAL candle token waits: {critical_waits}"
    assert max(waits) < 500, f"CRITICAL candle calls took {waits} ms end to end"
    assert simulator.stats.statuses[429] == 0


async def test_foreign_traffic_seen_in_remaining_req_tightens_our_window(
    simulator: Any, router: SmartRouter
) -> None:
    """Another program on this address spends part of the budget; we stay clear of 429."""
    simulator.stats.reset()
    stop = time.monotonic() + 3.0

    async def foreign() -> None:
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < stop:
                async with session.get(f"{simulator.rest_url}/orderbook?markets=KRW-BTC") as r:
                    await r.read()
                await asyncio.sleep(0.25)  # 4/s of the group's 10/s

    ours_done = []

    async def ours() -> None:
        while time.monotonic() < stop:
            await router.fetch_orderbooks(["KRW-BTC"], priority=Priority.NORMAL)
            ours_done.append(1)

    await asyncio.gather(foreign(), *(ours() for _ in range(10)))
    assert router.stats().status_429 <= 2
    assert router.scheduler.window("orderbook").tightened > 0  # the header was listened to
    assert ours_done


async def test_a_new_router_right_after_another_probes_before_it_bursts(simulator: Any) -> None:
    """The exchange still counts the previous router's calls: the new one sends a single probe
    (which may meet the full window once) and never a burst of 429s."""
    simulator.stats.reset()
    async with SmartRouter(simulator.rest_url, simulator.ws_url) as first:
        await _hammer(1.2, lambda p: first.fetch_tickers(["KRW-BTC"], priority=p), 20, PRIORITIES)
    async with SmartRouter(simulator.rest_url, simulator.ws_url) as second:
        done = await _hammer(
            2.0, lambda p: second.fetch_tickers(["KRW-BTC"], priority=p), 20, PRIORITIES
        )
    assert simulator.stats.statuses[429] <= 1
    assert simulator.stats.statuses[418] == 0
    assert len(done) >= 5  # after the probe's 429 the window reopens within a second
