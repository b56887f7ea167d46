"""The token window of one Upbit rate-limit group: what was spent, by us and by others.

A :class:`RateWindow` is pure accounting on a clock the caller passes in; it never
waits and never decides who goes next (that is the scheduler's job). A call of
ours holds its token from the grant until one window after its answer (or
failure) came back: the server counts a call when it *arrives*, which is after
we sent it and before we hear back, however long the machine's load or the
network delays it on the way. So no window on the server can see more than the
group's capacity from us, whatever the delays, and it carries
*foreign* sends: calls someone else on this address made, learnt from the
``Remaining-Req`` header of our own answers. A 429 fills the window and lowers
the capacity for a while; a 418 blocks the group until the ban ends. A fresh
window knows nothing of what this address already spent (another program, or
this one a moment before a restart), so it is *unsynced* until one answer's
header has told it where the server's count stands.

On a desk (several app processes sharing one database, see
:mod:`backbone.domain.desk`) the window also has a *part*: the tokens per window
this process agreed to use. The other members' calls then count against their
own parts, and only calls beyond those (a program outside the desk) count
against ours.
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass

# Send times remembered to explain Remaining-Req headers of slow answers.
_HISTORY_S = 30.0
# After a 429 the capacity drops by one per 429 (at most half) for this long.
PENALTY_S = 10.0
# While another program on this address was seen spending within this long, one
# token per window is left for its calls we have not heard of yet.
SHARED_MARGIN_S = 5.0
# The server's own window, when matching our sends to a Remaining-Req count.
_SERVER_WINDOW_S = 1.0
# How much the time from a call's send to its arrival at the server varies between calls.
ARRIVAL_JITTER_S = 0.01


@dataclass(frozen=True, slots=True)
class RateBudget:
    """What a group can spend right now: ``available`` tokens, ``reserve`` of them CRITICAL-only.

    ``reserve`` is 0 while no CRITICAL work may need it (bulk work then uses it all).
    ``part`` is this process's tokens per window when a desk shares the address, else None.
    """

    group: str
    limit_per_s: float
    available: int
    reserve: int
    part: int | None = None


class SendStamp:
    """One call's token: ``at`` moves to the moment the request really left, ``answered_at`` is set
    when its answer (or failure) came back; the token leaves the window one window after that.
    """

    __slots__ = ("answered_at", "at")

    def __init__(self, at: float) -> None:
        self.at = at
        self.answered_at: float | None = None  # None while the call may still be on its way

    def settle(self, now: float) -> None:
        """The answer (or failure) is back: the server has counted this call by now. Idempotent."""
        if self.answered_at is None:
            self.answered_at = max(now, self.at)


class RateWindow:
    """Sends inside the sliding window of one group, ours and foreign, on a given clock."""

    def __init__(
        self, group: str, limit_per_s: float, window_s: float, *, probe_first: bool = True
    ) -> None:
        if limit_per_s < 1:
            raise ValueError(
                f"rate limit for group {group!r} must be at least 1 call/s, got {limit_per_s}"
            )
        if window_s <= 0:
            raise ValueError(f"rate window must be > 0 s, got {window_s}")
        self.group = group
        self.limit_per_s = float(limit_per_s)
        self.capacity = int(limit_per_s)
        self.window_s = window_s
        self._sends: list[SendStamp] = []  # ours, in flight or answered within the window
        self._foreign: list[float] = []  # the window taken as full after a 429, ascending
        self._foreign_level = 0  # other programs' calls in the server's window, by the last header
        self._foreign_sent_at = float("-inf")  # when the call that header answered was sent
        self._stray = False  # the last header told of one other call, not yet believed
        self._history: deque[SendStamp] = deque()  # ours, for header matching
        self._penalty = 0
        self._penalty_until = 0.0
        self._penalised_at = float("-inf")
        self.banned_until = 0.0
        self.tightened = 0  # foreign sends learnt from Remaining-Req headers
        self._shared_until = float("-inf")  # someone else spends on this address until about then
        self.synced = not probe_first  # the server's count is known (or we chose not to ask)
        self.probe_out = False  # the one unsynced call is in flight
        self.shared_seen = False  # a header ever told of another program's calls
        self._part: int | None = None  # this process's tokens per window on a desk
        self._next_part: int | None = None  # a larger part, usable from _part_from
        self._part_from = float("inf")

    # -- reading --------------------------------------------------------------

    def capacity_at(self, now: float) -> int:
        """The capacity now: lowered for a while after a 429, and by one while the address is shared.

        A header tells of another program's calls only after they were made; the
        token left free covers the ones still unheard of, so two programs do not
        both take the last token of the same second.
        """
        if now >= self._penalty_until:
            self._penalty = 0
        shared = 1 if now < self._shared_until and self.capacity > 2 else 0
        part = self.part(now)
        return max(1, (self.capacity if part is None else part) - max(self._penalty, shared))

    def part(self, now: float) -> int | None:
        """This process's tokens per window on a desk, or None when it has the address alone."""
        if self._part_from <= now:
            self._part, self._next_part, self._part_from = self._next_part, None, float("inf")
        return self._part

    def set_part(self, part: int | None, now: float, settle_s: float) -> None:
        """Take ``part`` tokens per window (None: the whole capacity) as agreed with the desk.

        A smaller part applies at once. A larger one applies ``settle_s`` later:
        by then every other member has read the new split and the calls it made
        under its old, larger part have left the server's window.
        """
        current = self.part(now)
        part = None if part is None or part >= self.capacity else max(1, part)
        if current is None and part is not None:
            # The calls heard so far, and the 429s they caused, were the members': their parts
            # now account for them, so neither the spare token nor the penalty is needed.
            self._shared_until = self._penalty_until = float("-inf")
        if (part or self.capacity) <= (current or self.capacity):
            self._part, self._next_part, self._part_from = part, None, float("inf")
        elif self._part_from == float("inf") or part != self._next_part:
            self._next_part, self._part_from = part, now + settle_s

    def _outsiders(self, foreign: int, now: float) -> int:
        """Of ``foreign`` calls in the window, those not covered by the other members' parts."""
        part = self.part(now)
        return foreign if part is None else max(0, foreign - (self.capacity - part))

    def used(self, now: float) -> int:
        """Sends (ours and foreign) still inside the window."""
        self._purge(now)
        return len(self._sends) + len(self._foreign) + self._outsiders(self._foreign_now(now), now)

    def _foreign_now(self, now: float) -> int:
        """Other programs' calls in the window, as the last header counted them.

        Those calls have all left the server's window one window after the header's
        call was sent. Without a newer header the count lapses then, and the next
        call goes alone, as a probe, so what the others spend meanwhile is heard of
        before anyone bursts into it.
        """
        if self._foreign_level and now >= self._foreign_sent_at + self.window_s:
            self._foreign_level = 0
            if not self.probe_out:
                self.synced = False
        return self._foreign_level

    def room(self, now: float) -> int:
        """Tokens free now, before any reserve is held back."""
        return max(0, self.capacity_at(now) - self.used(now))

    def next_change(self, now: float) -> float:
        """The earliest moment ``room`` can grow: a send leaves the window or a penalty ends."""
        self._purge(now)
        # A call still in flight frees nothing until it settles; its slot's release wakes the scheduler then.
        heads = [s.answered_at for s in self._sends if s.answered_at is not None]
        heads += self._foreign[:1]
        wake = min(heads) + self.window_s if heads else now
        for change in (self._penalty_until if self._penalty else now, self._part_from):
            if now < change < float("inf"):
                wake = min(wake, change) if wake > now else change
        return max(wake, now)

    # -- spending -------------------------------------------------------------

    def take(self, now: float) -> SendStamp:
        """Spend one token now; the stamp may be moved later with :meth:`SendStamp.at`."""
        if not self.synced:
            self.probe_out = True
        stamp = SendStamp(now)
        self._sends.append(stamp)
        self._history.append(stamp)
        return stamp

    def observe_remaining(self, sec_left: int, sent_at: float, now: float) -> None:
        """Reconcile with a Remaining-Req ``sec`` value from an answer to a call sent at ``sent_at``.

        The server counted ``capacity - sec_left`` calls in its window when ours
        arrived; every one beyond those we sent within its window is someone
        else's. Other programs on one address spend at a rate that changes slowly,
        so the latest header's count stands for their share of every window until
        a newer header replaces it: counted once, let go when they stop, and never
        mistaken for free room the moment one of their calls ages out.
        """
        self._purge(now)
        self.end_probe()
        if sent_at < self._foreign_sent_at:
            return  # an answer overtaken by a newer one
        # The server counts a call when it arrives, a little after its send; how long after
        # varies by a few milliseconds from call to call. A call of ours sent just over a
        # window before this one may still be in the server's count, so it is taken as
        # ours: jitter on the wire is never mistaken for another program's spending.
        lo = sent_at - _SERVER_WINDOW_S - ARRIVAL_JITTER_S
        ours = sum(1 for stamp in self._history if lo < stamp.at <= sent_at)
        foreign = max(0, self.capacity - sec_left - ours)
        stray = foreign == 1 and not self._foreign_now(now) and not self._stray
        self._stray = stray
        if stray:
            # One call of ours sent right at the window's edge may still be in the server's
            # count: a lone stray is taken for that until the next header says it again.
            foreign = 0
        if foreign > 0:
            self.shared_seen = True
        if self._outsiders(foreign, now) > 0:
            self._shared_until = now + SHARED_MARGIN_S
        if foreign > self._foreign_now(now):
            self.tightened += foreign - self._foreign_now(now)
        self._foreign_level = foreign
        self._foreign_sent_at = sent_at

    def end_probe(self) -> None:
        """An answer (or a failure) came back: the cold-start probe no longer holds others."""
        if not self.synced:
            self.synced = True
            self.probe_out = False

    def on_rate_limited(self, now: float) -> None:
        """A 429: treat the window as full and lower the capacity for a while.

        Several calls in flight meet the same full window, so the capacity drops
        at most once per window, not once per 429.
        """
        room = self.capacity - self.used(now)
        for _ in range(max(0, room)):
            bisect.insort(self._foreign, now)
        if now - self._penalised_at > self.window_s:
            self._penalised_at = now
            self._penalty = min(self._penalty + 1, self.capacity // 2)
        self._penalty_until = now + PENALTY_S

    def ban(self, seconds: float, now: float) -> None:
        """A 418: nothing may be sent for ``seconds``."""
        self.banned_until = max(self.banned_until, now + seconds)

    # -- internals ------------------------------------------------------------

    def _purge(self, now: float) -> None:
        # Leaving is tested as ``answered_at + window <= now``, the very sum next_change wakes
        # at, so a timer never fires a rounding error too early and finds nothing changed.
        window = self.window_s
        self._sends = [
            s for s in self._sends if s.answered_at is None or s.answered_at + window > now
        ]
        gone = 0
        while gone < len(self._foreign) and self._foreign[gone] + window <= now:
            gone += 1
        if gone:
            del self._foreign[:gone]
        history_horizon = now - _HISTORY_S
        while self._history and self._history[0].at <= history_horizon:
            self._history.popleft()
