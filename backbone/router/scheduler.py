"""One scheduler for every upstream call: admission, order, concurrency and rate tokens.

Every REST call of the backbone (candle pages, quotes, trades, market lists, the
critical path) waits here for one *slot*: a rate token of its group plus a place
under its priority's concurrency cap. The rules, all in this module and all
driven by :class:`SchedulerPolicy`:

* **Order**: priority first, then arrival. A waiter is a :class:`Ticket`; its
  arrival number is fixed when it is made, so raising its priority (a chart
  joins a LOW page) moves it to the new priority's queue at its original place,
  and nothing is cancelled.
* **Concurrency**: each priority may have at most ``concurrency[p]`` calls in
  flight; a priority at its cap lets lower ones use the tokens meanwhile.
* **The CRITICAL reserve** (``critical_reserve`` tokens per window) is held back
  from bulk work only while CRITICAL may need it: a CRITICAL call waits or runs,
  one ran within ``critical_hold_s``, or a live bot holds a lease
  (:meth:`Scheduler.hold_reserve`). Otherwise bulk work spends the whole budget.
* **LOW** is paced evenly across the window (a chart arriving after it never
  waits for a burst to age out), keeps a minimum share of ``low_min_per_window``
  grants per window in each group however busy the higher priorities are, and
  under machine load (the ``admission`` input says why) slows to one call per
  ``low_trickle_s`` instead of stopping. Every wait is reported to the ticket's
  listener, with its reason.

The scheduler runs on the event loop's clock, so tests drive it on virtual time.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import MappingProxyType

from backbone.domain.desk import DeskMember, desk_part
from backbone.domain.errors import BannedError
from backbone.domain.priority import Priority
from backbone.router.endpoints import DEFAULT_LIMITS_PER_S, GROUPS, RATE_WINDOW_S
from backbone.router.rate_window import RateBudget, RateWindow, SendStamp

Admission = Callable[[], str | None]
"""Why LOW work should hold back now (machine load), or None when it may run."""

QUEUE_REASON = "queued behind higher-priority calls"
BUSY_S = 2.0  # a process that made a call this recently still wants its part of a desk's budget


@dataclass(frozen=True, slots=True)
class Wait:
    """What a waiting ticket is told: while machine load holds it back, and when it is served.

    ``waited_s`` counts from when the call joined the queue; ``load_s`` is the part
    of it the machine's load held the call back; ``reason`` says why it waited.
    """

    waited_s: float
    reason: str
    load_s: float
    served: bool


WaitListener = Callable[[Wait], None]

DEFAULT_CONCURRENCY: Mapping[Priority, int] = MappingProxyType(
    {Priority.CRITICAL: 8, Priority.HIGH: 6, Priority.NORMAL: 4, Priority.LOW: 2}
)


@dataclass(frozen=True, slots=True)
class SchedulerPolicy:
    """Every input of the scheduling rules, declared in one place."""

    concurrency: Mapping[Priority, int] = field(default_factory=lambda: DEFAULT_CONCURRENCY)
    critical_reserve: int = 2  # tokens per window only CRITICAL may use, while it may need them
    critical_hold_s: float = 10.0  # the reserve stays held this long after a CRITICAL call
    low_min_per_window: int = 1  # grants per window LOW gets however busy the others are
    low_trickle_s: float = 2.0  # under machine load, LOW still gets one call this often
    load_recheck_s: float = 0.5  # how often held LOW work looks at the load again
    window_s: float = RATE_WINDOW_S

    def __post_init__(self) -> None:
        merged = dict(DEFAULT_CONCURRENCY)
        for key, value in self.concurrency.items():
            priority = Priority.parse(key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"concurrency[{priority.value}] must be a whole number >= 1, got {value!r}"
                )
            merged[priority] = value
        object.__setattr__(self, "concurrency", MappingProxyType(merged))
        _at_least("critical_reserve", self.critical_reserve, 0)
        _at_least("critical_hold_s", self.critical_hold_s, 0)
        _at_least("low_min_per_window", self.low_min_per_window, 0)
        _at_least("low_trickle_s", self.low_trickle_s, 0.001)
        _at_least("load_recheck_s", self.load_recheck_s, 0.001)
        _at_least("window_s", self.window_s, 0.001)


def _at_least(name: str, value: float, minimum: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ValueError(f"{name} must be a number >= {minimum}, got {value!r}")


class Ticket:
    """One caller's place in the scheduler's order; see :meth:`Scheduler.ticket`."""

    __slots__ = ("_entry", "_granted_as", "on_wait", "priority", "seq")

    def __init__(self, priority: Priority, seq: int, on_wait: WaitListener | None) -> None:
        self.priority = priority
        self.seq = seq  # arrival order, kept when the priority rises
        self.on_wait = on_wait
        self._entry: _Entry | None = None
        self._granted_as: Priority | None = None


@dataclass(eq=False, slots=True)
class _Entry:
    seq: int
    ticket: Ticket
    future: asyncio.Future[SendStamp]
    queued_at: float
    group: str
    live: bool = True
    load_since: float | None = None  # held back by machine load since
    load_reason: str = ""

    def __lt__(self, other: _Entry) -> bool:
        return self.seq < other.seq

    @property
    def waiting(self) -> bool:
        return self.live and not self.future.done()


class _Group:
    """The queues, window and timer of one rate-limit group."""

    def __init__(self, window: RateWindow) -> None:
        self.window = window
        self.queues: dict[Priority, list[_Entry]] = {p: [] for p in Priority}
        self.timer: asyncio.TimerHandle | None = None
        self.timer_at = 0.0
        self.last_low = float("-inf")
        self.low_grants: deque[float] = deque()

    def head(self, priority: Priority) -> _Entry | None:
        queue = self.queues[priority]
        while queue and not queue[0].waiting:
            heapq.heappop(queue)
        return queue[0] if queue else None

    def waiting(self) -> bool:
        return any(self.head(p) is not None for p in Priority)


class ReserveLease:
    """Holds the CRITICAL reserve while a live bot runs; release it (or use ``with``)."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler
        self._held = True

    async def ready(self, group: str = "candle") -> float:
        """Wait until the reserve is free in ``group``; returns the seconds waited."""
        return await self._scheduler.reserve_ready(group)

    def release(self) -> None:
        """Let bulk work use the reserve again (after ``critical_hold_s``). Idempotent."""
        if self._held:
            self._held = False
            self._scheduler._release_lease()

    def __enter__(self) -> ReserveLease:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


class Scheduler:
    """Decides when every upstream call may go: see the module docstring for the rules."""

    def __init__(
        self,
        limits: Mapping[str, float] | None = None,
        policy: SchedulerPolicy | None = None,
        *,
        probe_first: bool = True,
        admission: Admission | None = None,
    ) -> None:
        merged = dict(DEFAULT_LIMITS_PER_S)
        for group, limit in (limits or {}).items():
            if group not in GROUPS:
                raise ValueError(
                    f"rate_limits: unknown group {group!r}; allowed: {', '.join(GROUPS)}"
                )
            merged[group] = float(limit)
        self.policy = policy or SchedulerPolicy()
        self.admission: Admission = admission or (lambda: None)
        self._groups = {
            g: _Group(RateWindow(g, limit, self.policy.window_s, probe_first=probe_first))
            for g, limit in merged.items()
        }
        self._seq = itertools.count()
        self._inflight = dict.fromkeys(Priority, 0)
        self._leases = 0
        self._last_critical = float("-inf")
        self._load_since: float | None = None  # machine load first seen (for the trickle)
        self._last_trickle = float("-inf")
        self._last_grant = float("-inf")
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop that last asked for a slot

    # -- tickets --------------------------------------------------------------

    def ticket(self, priority: Priority, on_wait: WaitListener | None = None) -> Ticket:
        """A place in the order, taken now; pass it to every call made for the same work."""
        return Ticket(Priority.parse(priority), next(self._seq), on_wait)

    def raise_priority(self, ticket: Ticket, priority: Priority) -> bool:
        """Make ``ticket`` at least as urgent as ``priority``, keeping its place by arrival.

        A queued ticket moves to the new priority's queue at once; nothing is
        cancelled. Returns True when the priority rose.
        """
        if priority.rank >= ticket.priority.rank:
            return False
        ticket.priority = priority
        entry = ticket._entry
        if entry is not None and entry.waiting:
            entry.live = False
            moved = _Entry(entry.seq, ticket, entry.future, entry.queued_at, entry.group)
            moved.load_since, moved.load_reason = entry.load_since, entry.load_reason
            ticket._entry = moved
            heapq.heappush(self._groups[entry.group].queues[priority], moved)
            self._dispatch_all()
        return True

    @asynccontextmanager
    async def slot(self, group: str, ticket: Ticket) -> AsyncIterator[SendStamp]:
        """Wait for a rate token of ``group`` and a concurrency place; hold the place inside.

        The stamp's time may be moved to the moment the request really leaves; the
        token stays spent until one window after the stamp settles (the caller
        settles it when the answer arrives, the slot at the latest when it is left).
        Raises ``BannedError`` while the group is banned.
        """
        stamp = await self._acquire(group, ticket)
        granted_as = ticket._granted_as or ticket.priority
        try:
            yield stamp
        finally:
            stamp.settle(_now())
            self._release(granted_as)

    # -- what the exchange told us -----------------------------------------------

    def observe_remaining(self, group: str, sec_left: int, sent_at: float) -> None:
        """A ``Remaining-Req`` header from an answer to a call sent at ``sent_at``."""
        self._groups[group].window.observe_remaining(sec_left, sent_at, _now())
        self._dispatch(group)

    def answered(self, group: str) -> None:
        """An answer (or a failure) came back; a header, if any, is applied before others go."""
        window = self._groups[group].window
        if not window.synced:
            window.end_probe()
            asyncio.get_running_loop().call_soon(self._dispatch, group)

    def on_rate_limited(self, group: str) -> None:
        """A 429: the window is full and the capacity lower for a while."""
        self._groups[group].window.on_rate_limited(_now())
        self._arm(group)

    def ban(self, group: str, seconds: float) -> None:
        """A 418: block ``group`` for ``seconds``; its waiting callers fail at once."""
        state = self._groups[group]
        state.window.ban(seconds, _now())
        error = BannedError(group, seconds)
        for queue in state.queues.values():
            for entry in queue:
                if entry.waiting:
                    entry.future.set_exception(error)
            queue.clear()

    # -- the CRITICAL reserve -----------------------------------------------------

    def hold_reserve(self) -> ReserveLease:
        """Keep the CRITICAL reserve free from bulk work until the lease is released."""
        self._leases += 1
        self._dispatch_all()
        return ReserveLease(self)

    async def reserve_ready(self, group: str) -> float:
        """Wait until ``group`` has its reserve free for CRITICAL; returns the seconds waited."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        window = self._groups[group].window
        wanted = max(1, self._reserve_size(window))
        # Bulk work takes no new token from the reserve now, so each step frees one.
        for _ in range(window.capacity + 1):
            now = loop.time()
            if window.room(now) >= wanted:
                break
            await asyncio.sleep(max(0.001, window.next_change(now) - now))
        return loop.time() - started

    def reserve_held(self) -> bool:
        """True while bulk work leaves the CRITICAL reserve alone."""
        return self._critical_active(_read_time(self._loop))

    @property
    def leases(self) -> int:
        """How many live bots hold the CRITICAL reserve right now."""
        return self._leases

    # -- a desk: other app processes on this address ------------------------------

    def address_shared(self) -> bool:
        """True once a header told of another program's calls on this address."""
        return any(s.window.shared_seen for s in self._groups.values())

    def busy(self) -> bool:
        """Calls wait or one went in the last ``BUSY_S``, or a live bot holds the reserve."""
        recent = _read_time(self._loop) < self._last_grant + BUSY_S
        return recent or self._leases > 0 or any(s.waiting() for s in self._groups.values())

    def set_desk(self, members: Sequence[DeskMember], me: str, settle_s: float) -> None:
        """Use ``me``'s part of each group's budget, as split among the desk's ``members``."""
        now = _now()
        for state in self._groups.values():
            state.window.set_part(desk_part(members, me, state.window.capacity), now, settle_s)
        self._dispatch_all()

    # -- reading ------------------------------------------------------------------

    def budgets(self) -> dict[str, RateBudget]:
        """Tokens free now per group, and the reserve held back from bulk work."""
        now = _read_time(self._loop)
        held = self._critical_active(now)
        return {
            g: RateBudget(
                g,
                s.window.limit_per_s,
                s.window.room(now),
                self._reserve_size(s.window) if held else 0,
                s.window.part(now),
            )
            for g, s in self._groups.items()
        }

    def window(self, group: str) -> RateWindow:
        """The token window of ``group`` (read-only use: metrics and tests)."""
        return self._groups[group].window

    def banned_for(self, group: str) -> float:
        """Seconds left in ``group``'s ban, 0 when not banned."""
        return max(0.0, self._groups[group].window.banned_until - _read_time(self._loop))

    def waiting(self) -> dict[Priority, int]:
        """Calls waiting for a slot, per priority."""
        counts = dict.fromkeys(Priority, 0)
        for state in self._groups.values():
            for priority, queue in state.queues.items():
                counts[priority] += sum(1 for entry in queue if entry.waiting)
        return counts

    def in_flight(self) -> dict[Priority, int]:
        """Calls holding a slot now, per priority."""
        return dict(self._inflight)

    def close(self) -> None:
        """Stop every timer and cancel every waiting caller."""
        for state in self._groups.values():
            if state.timer is not None:
                state.timer.cancel()
                state.timer = None
            for queue in state.queues.values():
                for entry in queue:
                    if entry.waiting:
                        entry.future.cancel()
                queue.clear()

    # -- internals ----------------------------------------------------------------

    async def _acquire(self, group: str, ticket: Ticket) -> SendStamp:
        loop = self._loop = asyncio.get_running_loop()
        state = self._groups[group]
        now = loop.time()
        if now < state.window.banned_until:
            raise BannedError(group, state.window.banned_until - now)
        entry = _Entry(ticket.seq, ticket, loop.create_future(), now, group)
        ticket._entry = entry
        heapq.heappush(state.queues[ticket.priority], entry)
        self._dispatch(group)
        future = entry.future
        try:
            return await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled() and future.exception() is None:
                future.result().settle(loop.time())  # granted, then abandoned: nothing was sent
                self._release(ticket._granted_as or ticket.priority)
            raise
        finally:
            ticket._entry = None

    def _release(self, priority: Priority) -> None:
        self._inflight[priority] -= 1
        self._dispatch_all()

    def _release_lease(self) -> None:
        self._leases -= 1
        self._last_critical = max(self._last_critical, _now())
        self._dispatch_all()

    def _reserve_size(self, window: RateWindow) -> int:
        return min(self.policy.critical_reserve, window.capacity - 1)

    def _critical_active(self, now: float) -> bool:
        return (
            self._leases > 0
            or any(state.head(Priority.CRITICAL) is not None for state in self._groups.values())
            or self._inflight[Priority.CRITICAL] > 0
            or now < self._last_critical + self.policy.critical_hold_s
        )

    def _dispatch_all(self) -> None:
        for group, state in self._groups.items():
            if state.waiting():
                self._dispatch(group)

    def _dispatch(self, group: str) -> None:
        state = self._groups[group]
        now = _now()
        while True:
            entry = self._choose(state, now)
            if entry is None:
                break
            self._grant(state, entry, now)
        self._arm(group)

    def _choose(self, state: _Group, now: float) -> _Entry | None:
        window = state.window
        if now < window.banned_until or window.probe_out:
            return None
        room = window.room(now)
        if room <= 0:
            return None
        reserve = self._reserve_size(window) if self._critical_active(now) else 0
        order = [Priority.CRITICAL]
        if self._low_short(state, now):
            order.append(Priority.LOW)
        order += [Priority.HIGH, Priority.NORMAL, Priority.LOW]
        for priority in order:
            head = state.head(priority)
            if head is None or self._inflight[priority] >= self.policy.concurrency[priority]:
                continue
            if priority is not Priority.CRITICAL and room <= reserve:
                return None  # the rest of the window is CRITICAL's, and so for every lower one
            if priority is Priority.LOW and not self._low_may_go(state, now):
                continue
            return head
        return None

    def _low_short(self, state: _Group, now: float) -> bool:
        """LOW waits and got less than its minimum share of this window."""
        window_s = state.window.window_s
        while state.low_grants and state.low_grants[0] + window_s <= now:
            state.low_grants.popleft()
        return (
            len(state.low_grants) < self.policy.low_min_per_window
            and state.head(Priority.LOW) is not None
        )

    def _low_spacing(self, state: _Group, now: float) -> float:
        """LOW's pace: the window spread evenly over the tokens bulk work may use."""
        window = state.window
        bulk = window.capacity - (self._reserve_size(window) if self._critical_active(now) else 0)
        return window.window_s / max(1, bulk)

    def _low_may_go(self, state: _Group, now: float) -> bool:
        reason = self.admission()
        if reason is not None:
            if self._load_since is None:
                self._load_since = now
            self._note_load(state, now, reason)
            opens = max(self._load_since, self._last_trickle) + self.policy.low_trickle_s
            if now < opens:
                return False
        else:
            self._load_since = None
        return now >= state.last_low + self._low_spacing(state, now)

    def _note_load(self, state: _Group, now: float, reason: str) -> None:
        """Tell every LOW waiter of this group that the machine's load holds it back."""
        for entry in state.queues[Priority.LOW]:
            if not entry.waiting:
                continue
            if entry.load_since is None:
                entry.load_since = now
            entry.load_reason = reason
            if entry.ticket.on_wait is not None:
                entry.ticket.on_wait(Wait(now - entry.queued_at, reason, now - entry.load_since, False))

    def _grant(self, state: _Group, entry: _Entry, now: float) -> None:
        priority = entry.ticket.priority
        heapq.heappop(state.queues[priority])
        entry.live = False
        if priority is Priority.CRITICAL:
            self._last_critical = now
        if priority is Priority.LOW:
            state.last_low = now
            state.low_grants.append(now)
            if self._load_since is not None:
                self._last_trickle = now
        self._inflight[priority] += 1
        self._last_grant = now
        ticket = entry.ticket
        ticket._granted_as = priority
        waited = now - entry.queued_at
        if ticket.on_wait is not None and waited > 0:
            if entry.load_since is None:
                ticket.on_wait(Wait(waited, QUEUE_REASON, 0.0, True))
            else:
                ticket.on_wait(Wait(waited, entry.load_reason, now - entry.load_since, True))
        entry.future.set_result(state.window.take(now))

    def _arm(self, group: str) -> None:
        """One timer per group for the next moment something may change for its waiters."""
        state = self._groups[group]
        if not state.waiting():
            return
        now = _now()
        window = state.window
        moments = [window.next_change(now), window.banned_until]
        if state.head(Priority.LOW) is not None:
            moments.append(state.last_low + self._low_spacing(state, now))
            if self._load_since is not None:
                moments.append(now + self.policy.load_recheck_s)
                moments.append(max(self._load_since, self._last_trickle) + self.policy.low_trickle_s)
        if self._critical_active(now) and not self._leases:
            moments.append(self._last_critical + self.policy.critical_hold_s)
        later = [m for m in moments if m > now]
        if not later:
            return
        wake = min(later)
        if state.timer is not None:
            if state.timer_at <= wake and state.timer_at > now:
                return
            state.timer.cancel()
        state.timer_at = wake
        state.timer = asyncio.get_running_loop().call_at(wake, self._fire, group)

    def _fire(self, group: str) -> None:
        self._groups[group].timer = None
        self._dispatch(group)


def _now() -> float:
    return asyncio.get_running_loop().time()


def _read_time(loop: asyncio.AbstractEventLoop | None) -> float:
    """The scheduler's clock for readers, who may call between loop runs.

    A Qt timer can ask for the budget while the event loop is paused (a
    nested Qt loop, or shutdown); the loop that last ran the scheduler still
    tells its time, and a scheduler that never ran has nothing spent.
    """
    try:
        return asyncio.get_running_loop().time()
    except RuntimeError:
        return loop.time() if loop is not None else time.monotonic()
