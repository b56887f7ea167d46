"""The token window on its own: ordering, the CRITICAL reserve, header and 429 corrections."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from backbone.domain.errors import BannedError
from backbone.domain.priority import Priority
from backbone.router.rate_limiter import GroupLimiter, RateLimiter
from backbone.router.rest_channel import DEFAULT_BAN_S, ban_length_s, build_url, parse_remaining_req


async def test_waiters_are_served_by_priority_then_first_come_first_served() -> None:
    limiter = GroupLimiter("candle", 10, reserve=2, window_s=0.3, probe_first=False)
    for _ in range(8):
        assert await limiter.acquire(Priority.NORMAL) == 0.0
    order: list[tuple[Priority, int]] = []

    async def one(priority: Priority, index: int) -> None:
        await limiter.acquire(priority)
        order.append((priority, index))

    queued = [
        Priority.LOW,
        Priority.NORMAL,
        Priority.HIGH,
        Priority.LOW,
        Priority.HIGH,
        Priority.NORMAL,
    ]
    await asyncio.gather(*(one(p, i) for i, p in enumerate(queued)))
    assert order == [
        (Priority.HIGH, 2),
        (Priority.HIGH, 4),
        (Priority.NORMAL, 1),
        (Priority.NORMAL, 5),
        (Priority.LOW, 0),
        (Priority.LOW, 3),
    ]


async def test_only_critical_may_take_the_reserve() -> None:
    limiter = GroupLimiter("candle", 10, reserve=2, window_s=5.0, probe_first=False)
    for _ in range(8):
        await limiter.acquire(Priority.LOW)
    assert limiter.available() == 2
    blocked = asyncio.create_task(limiter.acquire(Priority.HIGH))
    await asyncio.sleep(0.05)
    assert not blocked.done()
    assert await limiter.acquire(Priority.CRITICAL) == 0.0
    assert await limiter.acquire(Priority.CRITICAL) == 0.0
    assert limiter.available() == 0
    blocked.cancel()


async def test_never_more_than_capacity_in_any_window() -> None:
    limiter = GroupLimiter("ticker", 10, reserve=0, window_s=0.2, probe_first=False)
    grants: list[float] = []
    loop = asyncio.get_running_loop()

    async def taker() -> None:
        for _ in range(5):
            await limiter.acquire(Priority.NORMAL)
            grants.append(loop.time())

    await asyncio.gather(*(taker() for _ in range(8)))
    for t in grants:
        assert sum(1 for u in grants if t <= u < t + 0.2 - 1e-6) <= 10


async def test_remaining_req_reporting_less_than_ours_adds_phantom_sends() -> None:
    limiter = GroupLimiter("ticker", 10, reserve=2, probe_first=False)
    loop = asyncio.get_running_loop()
    sent_at = loop.time()
    await limiter.acquire(Priority.NORMAL)
    limiter.observe_remaining(9, sent_at)  # the server agrees: one call used
    assert limiter.available() == 9
    limiter.observe_remaining(4, sent_at)  # the server counted 6: five were someone else's
    assert limiter.available() == 4


async def test_a_429_empties_the_window_and_lowers_capacity() -> None:
    limiter = GroupLimiter("ticker", 10, reserve=2, window_s=0.2, probe_first=False)
    limiter.on_rate_limited()
    assert limiter.available() == 0
    await asyncio.sleep(0.25)
    assert limiter.available() == 9  # one fewer until the penalty expires


async def test_a_ban_fails_waiters_and_new_callers_until_it_ends() -> None:
    limiter = GroupLimiter("ticker", 2, reserve=0, window_s=5.0, probe_first=False)
    await limiter.acquire(Priority.NORMAL)
    await limiter.acquire(Priority.NORMAL)
    waiting = asyncio.create_task(limiter.acquire(Priority.NORMAL))
    await asyncio.sleep(0.01)
    limiter.ban(0.2)
    with pytest.raises(BannedError) as banned:
        await waiting
    assert banned.value.retry_after_s == pytest.approx(0.2)
    with pytest.raises(BannedError):
        await limiter.acquire(Priority.CRITICAL)
    assert limiter.banned_for() > 0


async def test_a_fresh_limiter_sends_one_probe_until_the_server_count_is_known() -> None:
    limiter = GroupLimiter("candle", 10, reserve=2)
    loop = asyncio.get_running_loop()
    sent_at = loop.time()
    await limiter.acquire(Priority.NORMAL)
    second = asyncio.create_task(limiter.acquire(Priority.NORMAL))
    await asyncio.sleep(0.05)
    assert not second.done()  # held until the probe's answer arrives
    limiter.observe_remaining(3, sent_at)  # someone already spent 6 of this second
    limiter.answered()
    await asyncio.wait_for(second, 1.0)
    assert limiter.available() == 2  # 10 - probe - 6 foreign - second


def test_remaining_req_header_is_parsed_and_min_ignored() -> None:
    assert parse_remaining_req("group=candle; min=1800; sec=9") == 9
    assert parse_remaining_req("group=default; sec=0") == 0
    assert parse_remaining_req("") is None
    assert parse_remaining_req("group=x; sec=abc") is None


def test_unknown_group_in_rate_limits_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="candles"):
        RateLimiter({"candles": 5})


def test_query_values_are_percent_encoded_for_upbit() -> None:
    url = build_url(
        "https://api.upbit.com/v1/",
        "candles/minutes/1",
        {"market": "KRW-BTC", "to": "2025-06-24T13:56:53+09:00", "count": 200, "x": None},
    )
    assert str(url) == (
        "https://api.upbit.com/v1/candles/minutes/1"
        "?market=KRW-BTC&to=2025-06-24T13%3A56%3A53%2B09%3A00&count=200"
    )
    assert "is_details=true" in str(build_url("http://h/v1", "market/all", {"is_details": True}))


def test_ban_length_comes_from_the_header_the_message_or_a_default() -> None:
    assert ban_length_s({"Retry-After": "12"}, "") == 12.0
    assert ban_length_s({}, "this address is blocked for 1.5 seconds.") == 1.5
    assert ban_length_s({}, "blocked for 2 minutes") == 120.0
    assert ban_length_s({}, "요청이 30초 동안 제한됩니다") == 30.0
    assert ban_length_s({}, "Too many requests") == DEFAULT_BAN_S


async def test_low_sends_are_paced_so_a_chart_never_waits_behind_a_burst() -> None:
    limiter = GroupLimiter("candle", 10, reserve=2, window_s=0.8, probe_first=False)
    loop = asyncio.get_running_loop()
    low_times: list[float] = []

    async def backfill() -> None:
        while True:
            await limiter.acquire(Priority.LOW)
            low_times.append(loop.time())

    workers = [asyncio.create_task(backfill()) for _ in range(6)]
    await asyncio.sleep(1.0)
    normal_waits = []
    for _ in range(5):
        normal_waits.append(await limiter.acquire(Priority.NORMAL))
        await asyncio.sleep(0.17)
    for worker in workers:
        worker.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    spacing = 0.8 / 8
    gaps = [b - a for a, b in itertools.pairwise(low_times)]
    assert min(gaps) >= spacing * 0.95, "LOW sends came in a burst"
    # Without pacing a NORMAL request could wait most of a window for a burst to age out.
    assert max(normal_waits) < 0.8 * 0.5, normal_waits
