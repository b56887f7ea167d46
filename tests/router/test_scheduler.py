"""The scheduler on virtual time: order, the CRITICAL reserve, LOW's share and trickle, headers.

Every test runs on ``looptime``'s virtual clock, so rates and waits are asserted
exactly and the tests take no wall time.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable

import pytest

from backbone.domain.errors import BannedError
from backbone.domain.priority import Priority
from backbone.router.rest_channel import DEFAULT_BAN_S, ban_length_s, build_url, parse_remaining_req
from backbone.router.scheduler import QUEUE_REASON, Scheduler, SchedulerPolicy, Ticket, Wait

pytestmark = pytest.mark.looptime

WINDOW = 1.0


def scheduler(**policy: object) -> Scheduler:
    policy.setdefault("window_s", WINDOW)
    return Scheduler(policy=SchedulerPolicy(**policy), probe_first=False)  # type: ignore[arg-type]


async def call(s: Scheduler, group: str, ticket: Ticket, hold_s: float = 0.0) -> float:
    """One call through a slot; returns the virtual time it was granted."""
    async with s.slot(group, ticket) as stamp:
        granted = stamp.at
        await asyncio.sleep(hold_s)
    return granted


def now() -> float:
    return asyncio.get_running_loop().time()


async def saturate(s: Scheduler, priority: Priority, workers: int, until: float, log: list[float]) -> None:
    """``workers`` callers calling back to back until ``until``."""

    async def worker() -> None:
        while now() < until:
            log.append(await call(s, "candle", s.ticket(priority), hold_s=0.03))

    await asyncio.gather(*(worker() for _ in range(workers)))


async def test_waiters_are_served_by_priority_then_arrival() -> None:
    s = scheduler(critical_reserve=0)
    for _ in range(10):
        await call(s, "candle", s.ticket(Priority.NORMAL))
    order: list[tuple[Priority, int]] = []

    async def one(priority: Priority, index: int) -> None:
        await call(s, "candle", s.ticket(priority))
        order.append((priority, index))

    queued = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.LOW, Priority.HIGH, Priority.NORMAL]
    await asyncio.gather(*(one(p, i) for i, p in enumerate(queued)))
    # LOW's minimum share of one grant per window goes first in the new window.
    assert order == [
        (Priority.LOW, 0),
        (Priority.HIGH, 2),
        (Priority.HIGH, 4),
        (Priority.NORMAL, 1),
        (Priority.NORMAL, 5),
        (Priority.LOW, 3),
    ]


async def test_a_saturated_group_never_delays_a_call_of_another_group() -> None:
    s = scheduler()
    low_log: list[float] = []
    backfill = asyncio.ensure_future(saturate(s, Priority.LOW, 20, 3.0, low_log))
    await asyncio.sleep(1.2)  # LOW fills the candle window
    delays = []
    for _ in range(10):
        asked = now()
        delays.append(await call(s, "ticker", s.ticket(Priority.CRITICAL)) - asked)
        await asyncio.sleep(0.1)
    await backfill
    assert delays == [0.0] * 10  # granted the instant asked, on the virtual clock
    assert len(low_log) >= 25  # while the candle group stayed busy


async def test_bulk_work_spends_the_whole_window_while_no_critical_call_is_expected() -> None:
    s = scheduler(critical_reserve=2)
    grants = [await call(s, "candle", s.ticket(Priority.NORMAL)) for _ in range(10)]
    assert grants == [0.0] * 10  # all ten tokens, none held back
    assert s.budgets()["candle"].reserve == 0


async def test_the_reserve_is_held_only_while_critical_may_need_it() -> None:
    s = scheduler(critical_reserve=2, critical_hold_s=5.0)
    assert await call(s, "candle", s.ticket(Priority.CRITICAL)) == 0.0
    assert s.reserve_held()
    normal = [await call(s, "candle", s.ticket(Priority.NORMAL)) for _ in range(7)]
    assert normal == [0.0] * 7  # eight of the ten are bulk work's, the CRITICAL call's included
    blocked = asyncio.ensure_future(call(s, "candle", s.ticket(Priority.NORMAL)))
    await asyncio.sleep(0.5)
    assert not blocked.done()  # the last token of the window is CRITICAL's
    assert await call(s, "candle", s.ticket(Priority.CRITICAL)) == 0.5
    assert await blocked == WINDOW  # the first send leaves the window
    await asyncio.sleep(5.0)  # no CRITICAL call for critical_hold_s: the reserve is let go
    assert not s.reserve_held()
    assert s.budgets()["candle"].reserve == 0


async def test_a_lease_keeps_the_reserve_free_and_says_when_it_is_ready() -> None:
    s = scheduler(critical_reserve=2, critical_hold_s=0.0)
    grants = [await call(s, "candle", s.ticket(Priority.NORMAL)) for _ in range(10)]
    assert grants == [0.0] * 10
    await asyncio.sleep(0.2)
    with s.hold_reserve() as lease:
        waited = await lease.ready()
        assert waited == pytest.approx(WINDOW - 0.2)  # one window for the bulk sends to age out
        started = now()
        assert await call(s, "candle", s.ticket(Priority.CRITICAL)) == started
        assert await call(s, "candle", s.ticket(Priority.CRITICAL)) == started
    assert not s.reserve_held()


async def test_never_more_than_capacity_in_any_window() -> None:
    s = scheduler(critical_reserve=0)
    grants: list[float] = []
    await saturate(s, Priority.NORMAL, 20, 5.0, grants)
    for t in grants:
        assert sum(1 for u in grants if t <= u < t + WINDOW - 1e-9) <= 10


@pytest.mark.parametrize("server_window_s", [0.93, 1.0])
async def test_a_call_delayed_on_its_way_keeps_its_token_until_answered(server_window_s: float) -> None:
    # Under machine load a request can reach the server long after its token was granted;
    # the server counts arrivals. The first call of a burst arrives 0.2 s late, the others
    # at once: a window counted from send times lets the eleventh call in beside it.
    from backbone.sim.ratelimit import RateLimiter as ServerCounter

    server = ServerCounter(window_s=server_window_s, clock=now)
    s = scheduler(critical_reserve=0, concurrency={Priority.NORMAL: 20})
    arrivals: list[float] = []
    statuses: list[int] = []

    async def one(on_the_way_s: float) -> None:
        async with s.slot("candle", s.ticket(Priority.NORMAL)):
            await asyncio.sleep(on_the_way_s)
            arrivals.append(now())
            statuses.append(server.check("127.0.0.1", "candle").status)
            await asyncio.sleep(0.01)  # the answer comes back

    await asyncio.gather(one(0.2), *(one(0.0) for _ in range(19)))
    assert statuses.count(429) == 0
    assert statuses.count(200) == 20
    # Nine tokens came back one window after their answers (0.01 s), the late call's one
    # window after its own (0.2 s + 0.01 s).
    assert sorted(arrivals)[10:] == pytest.approx([1.01] * 9 + [1.21])


async def test_bulk_reaches_the_ceiling_of_the_window() -> None:
    s = scheduler(critical_reserve=2)
    grants: list[float] = []
    await saturate(s, Priority.NORMAL, 20, 20.0, grants)
    steady = [t for t in grants if t < 20.0]
    # A token comes back one window after its answer: 10 per (1 s + 0.03 s) = 9.7 calls/s.
    assert len(steady) / 20.0 >= 9.5
    assert len(steady) == 10 * 20  # ten per turn of 1.03 s, 20 turns started before the end


async def test_low_is_paced_evenly_and_alone_still_reaches_the_ceiling() -> None:
    s = scheduler(critical_reserve=2)
    grants: list[float] = []
    await saturate(s, Priority.LOW, 2, 10.0, grants)
    gaps = [b - a for a, b in itertools.pairwise(grants)]
    assert min(gaps) == pytest.approx(0.1)  # never a burst a chart would wait behind
    assert len(grants) / 10.0 >= 9.5


async def test_raising_a_queued_ticket_moves_it_by_arrival_without_cancelling() -> None:
    s = scheduler(critical_reserve=0, low_min_per_window=0)
    for _ in range(10):
        await call(s, "candle", s.ticket(Priority.NORMAL))
    order: list[str] = []
    early_high = s.ticket(Priority.HIGH)
    low_ticket = s.ticket(Priority.LOW)

    async def one(name: str, ticket: Ticket) -> None:
        await call(s, "candle", ticket)
        order.append(name)

    low = asyncio.ensure_future(one("low page", low_ticket))
    tasks = [asyncio.ensure_future(one(f"high {i}", s.ticket(Priority.HIGH))) for i in range(2)]
    first = asyncio.ensure_future(one("early high", early_high))
    await asyncio.sleep(0.1)
    assert s.waiting()[Priority.LOW] == 1
    assert s.raise_priority(low_ticket, Priority.HIGH)
    assert s.waiting() == {Priority.CRITICAL: 0, Priority.HIGH: 4, Priority.NORMAL: 0, Priority.LOW: 0}
    await asyncio.gather(low, first, *tasks)
    # The page arrived before every HIGH request except the one whose ticket was taken earlier.
    assert order == ["early high", "low page", "high 0", "high 1"]
    assert not low.cancelled()
    assert not s.raise_priority(low_ticket, Priority.LOW)


async def test_low_keeps_a_minimum_share_while_higher_priorities_saturate_and_reports_its_waits() -> None:
    s = scheduler(critical_reserve=0)
    normal: list[float] = []
    heard: list[Wait] = []
    low_grants: list[float] = []

    async def backfill() -> None:
        while now() < 30.0:
            low_grants.append(await call(s, "candle", s.ticket(Priority.LOW, heard.append), hold_s=0.03))

    await asyncio.gather(saturate(s, Priority.NORMAL, 40, 30.0, normal), backfill())
    gaps = [b - a for a, b in itertools.pairwise(low_grants)]
    assert len(low_grants) >= 29  # at least one call in every window of the 30 s
    assert max(gaps) <= WINDOW + 0.03 + 1e-9
    assert len(normal) >= 8 * 30  # the others keep the rest
    served = [w for w in heard if w.served]
    assert served and all(w.reason == QUEUE_REASON and w.load_s == 0 for w in served)
    assert max(w.waited_s for w in served) <= WINDOW + 1e-9


async def test_low_keeps_its_share_under_sustained_faults() -> None:
    # Fifty callers with one answer in four a 429: every 429 fills the window and lowers
    # the capacity. LOW still gets the first token of every window that opens.
    s = scheduler(critical_reserve=0)
    calls = itertools.count()
    low_grants: list[float] = []
    heard: list[Wait] = []

    async def faulty(priority: Priority, log: list[float], on_wait: Callable[[Wait], None] | None) -> None:
        while now() < 60.0:
            log.append(await call(s, "candle", s.ticket(priority, on_wait), hold_s=0.03))
            if next(calls) % 4 == 3:
                s.on_rate_limited("candle")

    others: list[float] = []
    await asyncio.gather(
        faulty(Priority.LOW, low_grants, heard.append),
        *(faulty(p, others, None) for p in [Priority.HIGH, Priority.NORMAL] * 25),
    )
    gaps = [b - a for a, b in itertools.pairwise(low_grants)]
    assert len(low_grants) >= 55
    assert max(gaps) <= 2 * WINDOW + 0.03 + 1e-9
    assert max(w.waited_s for w in heard if w.served) <= 2 * WINDOW + 1e-9


async def test_under_machine_load_low_slows_to_a_trickle_and_says_why() -> None:
    load: list[str | None] = ["CPU at 95% (limit 70%)"]
    s = Scheduler(
        policy=SchedulerPolicy(window_s=WINDOW, low_trickle_s=2.0, load_recheck_s=0.5),
        probe_first=False,
        admission=lambda: load[0],
    )
    heard: list[Wait] = []
    low_grants: list[float] = []

    async def backfill() -> None:
        while now() < 9.0:
            low_grants.append(await call(s, "candle", s.ticket(Priority.LOW, heard.append)))

    high = await call(s, "candle", s.ticket(Priority.HIGH))
    await backfill()
    assert high == 0.0  # load never holds back higher priorities
    assert low_grants == [2.0, 4.0, 6.0, 8.0, 10.0]  # one call per trickle interval, never none
    held = [w for w in heard if not w.served]
    assert held and all(w.reason == "CPU at 95% (limit 70%)" for w in held)
    assert [w.load_s for w in heard if w.served] == [2.0] * 5
    load[0] = None
    started = now()
    assert await call(s, "candle", s.ticket(Priority.LOW)) == pytest.approx(started + 0.1)  # full pace again


async def test_a_concurrency_cap_lets_lower_priorities_use_the_tokens_meanwhile() -> None:
    s = scheduler(critical_reserve=0, concurrency={Priority.HIGH: 1})
    first = asyncio.ensure_future(call(s, "candle", s.ticket(Priority.HIGH), hold_s=1.0))
    second = asyncio.ensure_future(call(s, "candle", s.ticket(Priority.HIGH)))
    normal = await call(s, "candle", s.ticket(Priority.NORMAL))
    assert normal == 0.0
    assert await first == 0.0
    assert await second == 1.0  # when the first HIGH call answered


async def test_remaining_req_from_another_program_is_counted_once_and_let_go() -> None:
    s = scheduler(critical_reserve=0)
    window = s.window("ticker")
    sent_at = now()
    await call(s, "ticker", s.ticket(Priority.NORMAL))
    s.observe_remaining("ticker", 9, sent_at)  # the server agrees: one call used
    assert window.room(now()) == 9
    s.observe_remaining("ticker", 4, sent_at)  # the server counted 6: five were someone else's
    # Their five, and one token left for their calls no header has told of yet.
    assert window.room(now()) == 10 - 1 - 5 - 1
    s.observe_remaining("ticker", 4, sent_at)  # the same five, heard again: not counted twice
    assert window.room(now()) == 3
    s.observe_remaining("ticker", 7, sent_at)  # two of theirs are left in the server's window
    assert window.room(now()) == 10 - 1 - 2 - 1
    assert window.tightened == 5
    await asyncio.sleep(WINDOW + 0.01)  # no newer header: their count lapses, our call left the window
    assert window.room(now()) == 9  # the address was shared a moment ago: still one token spare
    assert not window.synced  # and the next call goes alone, to hear where the count stands
    await asyncio.sleep(5.0)
    assert window.room(now()) == 10


async def test_a_429_fills_the_window_and_lowers_capacity_for_a_while() -> None:
    s = scheduler(critical_reserve=0)
    s.on_rate_limited("ticker")
    assert s.window("ticker").room(now()) == 0
    await asyncio.sleep(WINDOW + 0.01)
    assert s.window("ticker").room(now()) == 9  # one fewer until the penalty expires
    await asyncio.sleep(10.0)
    assert s.window("ticker").room(now()) == 10


async def test_a_ban_fails_waiters_and_new_callers_until_it_ends() -> None:
    s = Scheduler({"ticker": 2}, SchedulerPolicy(window_s=5.0, critical_reserve=0), probe_first=False)
    await call(s, "ticker", s.ticket(Priority.NORMAL))
    await call(s, "ticker", s.ticket(Priority.NORMAL))
    waiting = asyncio.ensure_future(call(s, "ticker", s.ticket(Priority.NORMAL)))
    await asyncio.sleep(0.01)
    s.ban("ticker", 0.2)
    with pytest.raises(BannedError) as banned:
        await waiting
    assert banned.value.retry_after_s == pytest.approx(0.2)
    with pytest.raises(BannedError):
        await call(s, "ticker", s.ticket(Priority.CRITICAL))
    assert s.banned_for("ticker") > 0


async def test_a_fresh_scheduler_sends_one_probe_until_the_server_count_is_known() -> None:
    s = Scheduler(policy=SchedulerPolicy(window_s=WINDOW, critical_reserve=0))
    sent_at = now()
    probe = s.ticket(Priority.NORMAL)
    async with s.slot("candle", probe):
        second = asyncio.ensure_future(call(s, "candle", s.ticket(Priority.NORMAL)))
        await asyncio.sleep(0.05)
        assert not second.done()  # held until the probe's answer arrives
        s.answered("candle")
        s.observe_remaining("candle", 3, sent_at)  # someone already spent 6 of this second
    assert await second == pytest.approx(0.05)
    # 10 - probe - 6 foreign - second - 1 spare while the address is shared
    assert s.window("candle").room(now()) == 1


def test_the_budget_reads_between_runs_of_the_event_loop() -> None:
    """A Qt timer may read the budget while the asyncio loop is paused (a nested Qt loop)."""
    s = scheduler(critical_reserve=2, critical_hold_s=60.0)
    assert s.budgets()["candle"].available == 10 and s.banned_for("candle") == 0.0
    loop = asyncio.new_event_loop()
    try:
        for _ in range(3):
            loop.run_until_complete(call(s, "candle", s.ticket(Priority.CRITICAL)))
        budget = s.budgets()["candle"]  # no loop is running here
        assert (budget.available, budget.reserve) == (7, 2)
        assert s.reserve_held() and s.banned_for("candle") == 0.0
    finally:
        loop.close()


def test_policy_inputs_are_checked_by_name() -> None:
    with pytest.raises(ValueError, match="critical_reserve"):
        SchedulerPolicy(critical_reserve=-1)
    with pytest.raises(ValueError, match=r"concurrency\[low\]"):
        SchedulerPolicy(concurrency={Priority.LOW: 0})
    with pytest.raises(ValueError, match="candles"):
        Scheduler({"candles": 5})


def test_remaining_req_header_is_parsed_and_min_ignored() -> None:
    assert parse_remaining_req("group=candle; min=1800; sec=9") == 9
    assert parse_remaining_req("group=default; sec=0") == 0
    assert parse_remaining_req("") is None
    assert parse_remaining_req("group=x; sec=abc") is None


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



@pytest.mark.parametrize("server_window_s", [0.93, 1.0])
async def test_two_programs_on_one_address_share_the_budget_from_headers_alone(server_window_s: float) -> None:
    # Upbit's counter (the simulator's, on the virtual clock) sees both programs as one
    # address; each program only hears of the other through Remaining-Req.
    from backbone.sim.ratelimit import RateLimiter as ServerCounter

    server = ServerCounter(window_s=server_window_s, clock=now)
    statuses: list[int] = []

    async def program(s: Scheduler, until: float) -> None:
        async def worker() -> None:
            while now() < until:
                async with s.slot("candle", s.ticket(Priority.LOW)) as stamp:
                    await asyncio.sleep(0.001)  # on the wire
                    verdict = server.check("127.0.0.1", "candle")
                    statuses.append(verdict.status)
                    await asyncio.sleep(0.03)  # the answer comes back
                    s.answered("candle")
                    s.observe_remaining("candle", verdict.remaining, stamp.at)
                    if verdict.status == 429:
                        s.on_rate_limited("candle")

        await asyncio.gather(*(worker() for _ in range(2)))

    first = Scheduler(policy=SchedulerPolicy())
    second = Scheduler(policy=SchedulerPolicy())
    await asyncio.gather(program(first, 60.0), program(second, 60.0))
    assert statuses.count(418) == 0
    assert statuses.count(429) <= 2
    # Each keeps one token spare for the other's calls it has not heard of: 9 per window
    # together, a little more against the shorter window.
    assert statuses.count(200) / 60.0 >= 8.5


async def test_our_calls_sent_just_over_a_window_earlier_are_not_taken_for_another_program() -> None:
    # At a strict 1.000 s server window, nine calls sent 1.005 s before this one can still be
    # in the server's count when they took a few milliseconds longer to arrive than this one.
    s = scheduler(critical_reserve=0)
    window = s.window("candle")
    for _ in range(9):
        await call(s, "candle", s.ticket(Priority.NORMAL))
    await asyncio.sleep(1.005)
    sent_at = now()
    await call(s, "candle", s.ticket(Priority.NORMAL))
    s.observe_remaining("candle", 0, sent_at)
    s.observe_remaining("candle", 0, sent_at)  # said twice: a real stray would be believed now
    assert window.tightened == 0
    assert window.room(now()) == 9  # only our own call of this window is spent


async def test_a_lone_stray_in_the_servers_count_is_believed_only_when_heard_twice() -> None:
    s = scheduler(critical_reserve=0)
    window = s.window("candle")
    sent_at = now()
    await call(s, "candle", s.ticket(Priority.NORMAL))
    s.observe_remaining("candle", 8, sent_at)  # one more than ours: perhaps ours at the window's edge
    assert window.room(now()) == 9
    s.observe_remaining("candle", 8, sent_at)  # said again: another program's call after all
    assert window.room(now()) == 10 - 1 - 1 - 1
