"""Per-group rate limiting for Upbit's REST API: a sliding window handed out by priority.

Each group (market, candle, ticker, orderbook, trade) gets a :class:`GroupLimiter`.
It remembers the send time of every request in the last window and grants a
token only while fewer than the group's capacity were sent in that window, so
no one-second span on the server can ever see more than the limit. Waiters
are served by priority, first come first served inside one priority, and the
last ``reserve`` slots of every window are kept for CRITICAL requests alone:
a LOW backfill can fill the rest, never those. LOW sends are also paced evenly
across the window: a sliding window otherwise lets a backfill spend its whole
share in one burst, and a chart's request arriving just after it would wait
most of a second for the burst to age out.

The window is corrected from the server's side too: every ``Remaining-Req``
header that reports fewer calls left than our own count explains (someone else
on this IP is spending the budget) becomes phantom sends that tighten the
window; a 429 fills the window and lowers the capacity for a while; a 418
blocks the group until the ban ends. A fresh limiter knows nothing of what this
address already spent (another program, or this one a moment before a
restart), so it sends a single probe and opens the window only once the
probe's ``Remaining-Req`` has told it where the server's count stands.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from backbone.domain.errors import BannedError
from backbone.domain.priority import Priority
from backbone.router.endpoints import DEFAULT_LIMITS_PER_S, GROUPS, RATE_WINDOW_S

# Send times remembered to explain Remaining-Req headers of slow answers.
_HISTORY_S = 30.0
# After a 429 the capacity drops by one per 429 (at most half) for this long.
_PENALTY_S = 10.0
# Slack when matching our sends to the server's one-second window.
_MATCH_SLACK_S = 0.05


@dataclass(frozen=True, slots=True)
class RateBudget:
    """What a group can spend right now: ``available`` tokens, ``reserve`` of them CRITICAL-only."""

    group: str
    limit_per_s: float
    available: int
    reserve: int


@dataclass(order=True, slots=True)
class _Waiter:
    rank: int
    seq: int
    priority: Priority
    future: asyncio.Future[None]


class GroupLimiter:
    """The token window of one Upbit rate limit group."""

    def __init__(
        self,
        group: str,
        limit_per_s: float,
        reserve: int,
        window_s: float = RATE_WINDOW_S,
        *,
        probe_first: bool = True,
    ) -> None:
        if limit_per_s < 1:
            raise ValueError(
                f"rate limit for group {group!r} must be at least 1 call/s, got {limit_per_s}"
            )
        if reserve < 0:
            raise ValueError(f"critical_reserve must be >= 0, got {reserve}")
        self.group = group
        self.limit_per_s = float(limit_per_s)
        self.capacity = int(limit_per_s)
        self.reserve = min(reserve, self.capacity - 1)
        self.window_s = window_s
        self._sends: deque[float] = deque()  # real and phantom sends inside the window
        self._history: deque[float] = deque()  # real sends only, for header matching
        self._waiters: list[_Waiter] = []
        self._seq = itertools.count()
        self._timer: asyncio.Handle | None = None
        self._timer_at = 0.0
        self._penalty = 0
        self._penalty_until = 0.0
        self._banned_until = 0.0
        self.tightened = 0  # phantom slots added from Remaining-Req headers
        self._synced = not probe_first  # the server's count is known (or we chose not to ask)
        self._probe_out = False  # the one unsynced call is in flight
        self._penalised_at = float("-inf")
        self._low_spacing = window_s / max(1, self.capacity - self.reserve)
        self._last_low = float("-inf")

    # -- public ---------------------------------------------------------------

    async def acquire(self, priority: Priority) -> float:
        """Wait for a token; returns the seconds waited. Raises BannedError during a ban."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        self._raise_if_banned(now)
        rank = priority.rank
        if (not self._waiters or self._waiters[0].rank > rank) and self._allowed(priority, now):
            self._take(now, priority)
            return 0.0
        waiter = _Waiter(rank, next(self._seq), priority, loop.create_future())
        heapq.heappush(self._waiters, waiter)
        self._schedule(now)
        await waiter.future  # cancellation leaves a done future that dispatch skips
        return loop.time() - now

    def available(self) -> int:
        """Tokens free in the current window (CRITICAL may use all of them)."""
        now = _now()
        self._purge(now)
        return max(0, self._effective_capacity(now) - len(self._sends))

    def budget(self) -> RateBudget:
        return RateBudget(self.group, self.limit_per_s, self.available(), self.reserve)

    def banned_for(self) -> float:
        """Seconds left in the current ban, 0 when not banned."""
        return max(0.0, self._banned_until - _now())

    def observe_remaining(self, sec_left: int, sent_at: float) -> None:
        """Reconcile with a Remaining-Req ``sec`` value from an answer to a call sent at ``sent_at``.

        The server counted ``capacity - sec_left`` calls in its window; every
        call it counted beyond those we sent around that time is someone
        else's, and takes a slot from us until our window moves past it.
        """
        now = asyncio.get_running_loop().time()
        self._purge(now)
        self._end_probe(now)
        server_used = self.capacity - sec_left
        lo = sent_at - 1.0 - _MATCH_SLACK_S
        ours = 0
        for t in reversed(self._history):
            if t < lo:
                break
            ours += 1
        foreign = server_used - ours
        room = self.capacity - len(self._sends)
        extra = min(foreign, room)
        if extra > 0:
            self._sends.extend([now] * extra)
            self.tightened += extra

    def answered(self) -> None:
        """An answer (or a failure) without a usable header: let the probe's waiters go."""
        self._end_probe(asyncio.get_running_loop().time())

    def on_rate_limited(self) -> None:
        """A 429: treat the window as full and lower the capacity for a while.

        Several calls in flight meet the same full window, so the capacity
        drops at most once per window, not once per 429.
        """
        now = asyncio.get_running_loop().time()
        self._purge(now)
        room = self.capacity - len(self._sends)
        if room > 0:
            self._sends.extend([now] * room)
        if now - self._penalised_at > self.window_s:
            self._penalised_at = now
            self._penalty = min(self._penalty + 1, self.capacity // 2)
        self._penalty_until = now + _PENALTY_S

    def ban(self, seconds: float) -> None:
        """A 418: block this group for ``seconds``; waiting callers fail at once."""
        now = asyncio.get_running_loop().time()
        self._banned_until = max(self._banned_until, now + seconds)
        error = BannedError(self.group, seconds)
        while self._waiters:
            waiter = heapq.heappop(self._waiters)
            if not waiter.future.done():
                waiter.future.set_exception(error)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._waiters:
            waiter = heapq.heappop(self._waiters)
            if not waiter.future.done():
                waiter.future.cancel()

    # -- internals ------------------------------------------------------------

    def _raise_if_banned(self, now: float) -> None:
        if now < self._banned_until:
            raise BannedError(self.group, self._banned_until - now)

    def _effective_capacity(self, now: float) -> int:
        if now >= self._penalty_until:
            self._penalty = 0
        return max(1, self.capacity - self._penalty)

    def _end_probe(self, now: float) -> None:
        if not self._synced:
            self._synced = True
            self._probe_out = False
            if self._waiters:  # dispatch on the next loop turn, after any header is applied
                if self._timer is not None:
                    self._timer.cancel()
                self._timer_at = now
                self._timer = asyncio.get_running_loop().call_soon(self._dispatch)

    def _allowed(self, priority: Priority, now: float) -> bool:
        if self._probe_out:
            return False
        self._purge(now)
        capacity = self._effective_capacity(now)
        if priority is not Priority.CRITICAL:
            capacity -= min(self.reserve, capacity - 1)
        if priority is Priority.LOW and now - self._last_low < self._low_spacing:
            return False
        return len(self._sends) < capacity

    def _take(self, now: float, priority: Priority) -> None:
        if priority is Priority.LOW:
            self._last_low = now
        if not self._synced:
            self._probe_out = True
        self._sends.append(now)
        self._history.append(now)

    def _purge(self, now: float) -> None:
        horizon = now - self.window_s
        while self._sends and self._sends[0] <= horizon:
            self._sends.popleft()
        history_horizon = now - _HISTORY_S
        while self._history and self._history[0] <= history_horizon:
            self._history.popleft()

    def _schedule(self, now: float) -> None:
        """Arm one timer for the moment the oldest send leaves the window."""
        if not self._waiters:
            return
        if self._sends:
            wake = self._sends[0] + self.window_s
        else:
            wake = now
        paced = self._last_low + self._low_spacing
        if self._waiters[0].priority is Priority.LOW and paced > now:
            wake = min(wake, paced) if wake > now else paced
        if self._penalty and self._penalty_until > now:
            wake = min(wake, self._penalty_until)
        wake = max(wake, now)
        if self._timer is not None:
            if self._timer_at <= wake:
                return
            self._timer.cancel()
        loop = asyncio.get_running_loop()
        self._timer_at = wake
        self._timer = loop.call_at(wake, self._dispatch)

    def _dispatch(self) -> None:
        self._timer = None
        now = asyncio.get_running_loop().time()
        while self._waiters:
            head = self._waiters[0]
            if head.future.done():
                heapq.heappop(self._waiters)
                continue
            if not self._allowed(head.priority, now):
                break
            heapq.heappop(self._waiters)
            self._take(now, head.priority)
            head.future.set_result(None)
        self._schedule(now)


class RateLimiter:
    """One :class:`GroupLimiter` per Upbit group, built from the limits table."""

    def __init__(self, limits: Mapping[str, float] | None = None, reserve: int = 2) -> None:
        merged = dict(DEFAULT_LIMITS_PER_S)
        for group, limit in (limits or {}).items():
            if group not in GROUPS:
                raise ValueError(
                    f"rate_limits: unknown group {group!r}; allowed: {', '.join(GROUPS)}"
                )
            merged[group] = float(limit)
        self.groups = {g: GroupLimiter(g, limit, reserve) for g, limit in merged.items()}

    def __getitem__(self, group: str) -> GroupLimiter:
        return self.groups[group]

    def budgets(self) -> dict[str, RateBudget]:
        return {g: limiter.budget() for g, limiter in self.groups.items()}

    def close(self) -> None:
        for limiter in self.groups.values():
            limiter.close()


def _now() -> float:
    """The running loop's clock (monotonic), or the monotonic clock outside a loop."""
    try:
        return asyncio.get_running_loop().time()
    except RuntimeError:
        return time.monotonic()
