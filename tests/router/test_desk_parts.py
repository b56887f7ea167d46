"""A desk's parts in the scheduler, on virtual time: when a part applies, what counts against it.

Several app processes sharing one database split each group's budget through it
(the rows are the storage layer's; here a list stands in for them, and the
simulator's own counter, on the virtual clock, is the exchange).
"""

from __future__ import annotations

import asyncio

import pytest

from backbone.domain.desk import DeskMember
from backbone.domain.priority import Priority
from backbone.router.rate_window import RateWindow
from backbone.router.scheduler import Scheduler, SchedulerPolicy
from backbone.sim.ratelimit import RateLimiter as ServerCounter

pytestmark = pytest.mark.looptime

SETTLE_S = 1.75


def now() -> float:
    return asyncio.get_running_loop().time()


def three(me: str) -> tuple[list[DeskMember], str]:
    return [DeskMember(name, float(i), True) for i, name in enumerate("abc")], me


async def test_a_smaller_part_applies_at_once_and_a_larger_one_once_the_others_settled() -> None:
    window = RateWindow("candle", 10, 1.0, probe_first=False)
    window.set_part(3, 0.0, SETTLE_S)
    assert window.part(0.0) == 3 and window.capacity_at(0.0) == 3
    window.set_part(5, 1.0, SETTLE_S)
    assert window.capacity_at(1.0 + SETTLE_S - 0.001) == 3
    assert window.next_change(1.0) == 1.0 + SETTLE_S
    assert window.capacity_at(1.0 + SETTLE_S) == 5
    window.set_part(2, 4.0, SETTLE_S)
    assert window.capacity_at(4.0) == 2
    window.set_part(None, 5.0, SETTLE_S)  # alone again: the whole budget, after the others' calls left
    assert window.capacity_at(5.0) == 2 and window.capacity_at(5.0 + SETTLE_S) == 10


async def test_a_waiting_call_goes_the_moment_a_larger_part_applies() -> None:
    s = Scheduler(policy=SchedulerPolicy(critical_reserve=0), probe_first=False)
    members, me = three("c")
    s.set_desk(members, me, SETTLE_S)  # c's part: 3 of 10

    async def slow_call() -> None:
        async with s.slot("candle", s.ticket(Priority.NORMAL)):
            await asyncio.sleep(2.0)  # its token stays spent until 3.0

    slow = [asyncio.ensure_future(slow_call()) for _ in range(3)]
    await asyncio.sleep(0)
    s.set_desk(members[1:], me, SETTLE_S)  # a left: c's part grows to 5, once a's calls are gone
    async with s.slot("candle", s.ticket(Priority.NORMAL)) as stamp:
        assert stamp.at == pytest.approx(SETTLE_S)
    assert s.window("candle").part(now()) == 5
    await asyncio.gather(*slow)


async def test_only_calls_beyond_the_other_members_parts_count_against_ours() -> None:
    window = RateWindow("candle", 10, 1.0, probe_first=False)
    window.set_part(3, 0.0, SETTLE_S)
    stamp = window.take(0.0)
    stamp.settle(0.03)
    window.observe_remaining(2, 0.0, 0.03)  # 8 in the server's window: ours and the members' 7
    assert window.room(0.03) == 2
    stamp = window.take(0.1)
    stamp.settle(0.13)
    window.observe_remaining(0, 0.1, 0.13)  # 10 counted: ours 2, so one call from outside the desk
    assert window.room(0.13) == 0
    assert window.capacity_at(0.13) == 2  # and a token kept for that outsider's unheard calls


async def test_joining_a_desk_drops_the_margin_and_penalty_its_members_calls_caused() -> None:
    window = RateWindow("candle", 10, 1.0, probe_first=False)
    stamp = window.take(0.0)
    stamp.settle(0.03)
    window.observe_remaining(2, 0.0, 0.03)
    window.observe_remaining(2, 0.0, 0.03)  # heard twice: another program spends on this address
    assert window.shared_seen and window.capacity_at(0.1) == 9
    window.on_rate_limited(0.2)  # the members' calls, unheard of yet, filled the window
    assert window.capacity_at(0.2) == 9 and window._penalty == 1
    window.set_part(4, 0.3, SETTLE_S)
    assert window.capacity_at(0.3) == 4


@pytest.mark.parametrize("server_window_s", [0.93, 1.0])
async def test_three_processes_on_a_desk_spend_the_budget_without_a_429(server_window_s: float) -> None:
    # Each process joins the desk once a header told it of another, beats every 0.5 s and
    # uses the part it reads; headers alone leave three processes overshooting together.
    server = ServerCounter(window_s=server_window_s, clock=now)
    rows: dict[str, DeskMember] = {}
    statuses: list[tuple[float, int]] = []

    async def member(s: Scheduler, name: str, started_at: float, until: float) -> None:
        while now() < until:
            if name in rows or s.address_shared():
                rows[name] = DeskMember(name, started_at, s.busy())
                s.set_desk(list(rows.values()), name, SETTLE_S)
            await asyncio.sleep(0.5)

    async def program(s: Scheduler, name: str, start: float, until: float) -> None:
        await asyncio.sleep(start)

        async def worker() -> None:
            while now() < until:
                async with s.slot("candle", s.ticket(Priority.LOW)) as stamp:
                    await asyncio.sleep(0.002)  # on the wire
                    verdict = server.check("127.0.0.1", "candle")
                    statuses.append((now(), verdict.status))
                    await asyncio.sleep(0.03)  # the answer comes back
                    stamp.settle(now())
                    s.answered("candle")
                    s.observe_remaining("candle", verdict.remaining, stamp.at)
                    if verdict.status == 429:
                        s.on_rate_limited("candle")

        await asyncio.gather(worker(), worker(), member(s, name, start, until))

    until = 65.0
    schedulers = [Scheduler(policy=SchedulerPolicy()) for _ in range(3)]
    await asyncio.gather(
        *(program(s, name, 0.4 * i, until) for i, (s, name) in enumerate(zip(schedulers, "abc", strict=True)))
    )
    steady = [status for at, status in statuses if at >= 5.0]
    assert len(rows) == 3
    assert steady.count(429) == 0 and steady.count(418) == 0
    # The parts add up to the capacity: 10 tokens held for a window and a round trip each.
    assert steady.count(200) / (until - 5.0) >= 9.4
