"""Upbit's per-group request limits, per client address, with 429s and 418 bans.

A sliding window: a call passes when fewer than ``limit`` calls of its group from
the same address passed within the last window. The window is a little shorter
than a second, which reproduces what clients measure against Upbit: a burst of 10
passes, 10.5 calls/s sustained passes, 11.1 calls/s loses about one call in ten.
Carrying on through ``ban_after_429s`` refusals within a minute earns a 418 ban
whose length doubles with each repeat offence.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

GROUPS = ("market", "candle", "ticker", "orderbook", "trade")
DEFAULT_LIMITS: dict[str, float] = dict.fromkeys(GROUPS, 10.0)
WINDOW_S = 0.93
ABUSE_WINDOW_S = 60.0


@dataclass(frozen=True, slots=True)
class Verdict:
    """The limiter's answer for one call."""

    status: int  # 200 (passes), 429 (over the limit) or 418 (address banned)
    remaining: int  # calls left in the window for this group (Remaining-Req sec=)
    ban_seconds: float = 0.0  # length of the ban, when status is 418


class RateLimiter:
    """Counts calls per (address, group) and decides pass, 429 or 418."""

    def __init__(
        self,
        limits: Mapping[str, float] | None = None,
        *,
        enabled: bool = True,
        ban_after_429s: int = 30,
        ban_seconds: float = 10.0,
        window_s: float = WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0.0 < window_s <= 60.0:
            raise ValueError(f"rate_window_s must be in (0, 60] seconds, got {window_s!r}")
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        self.enabled = enabled
        self.ban_after_429s = ban_after_429s
        self.ban_seconds = ban_seconds
        self.window_s = window_s
        self._clock = clock
        self._calls: dict[tuple[str, str], deque[float]] = {}
        self._refusals: dict[str, deque[float]] = {}
        self._banned_until: dict[str, float] = {}
        self._offences: dict[str, int] = {}

    def reset(self) -> None:
        """Forget every address's history and bans."""
        self._calls.clear()
        self._refusals.clear()
        self._banned_until.clear()
        self._offences.clear()

    def check(self, address: str, group: str) -> Verdict:
        """Record one call and say whether it passes."""
        limit = int(self.limits.get(group, 10.0))
        if not self.enabled:
            return Verdict(200, max(limit - 1, 0))
        now = self._clock()
        until = self._banned_until.get(address)
        if until is not None:
            if now < until:
                return Verdict(418, 0, round(until - now, 3))
            del self._banned_until[address]
        window = self._calls.setdefault((address, group), deque())
        horizon = now - self.window_s
        while window and window[0] <= horizon:
            window.popleft()
        if len(window) < limit:
            window.append(now)
            return Verdict(200, limit - len(window))
        refusals = self._refusals.setdefault(address, deque())
        refusals.append(now)
        while refusals and refusals[0] <= now - ABUSE_WINDOW_S:
            refusals.popleft()
        if len(refusals) >= self.ban_after_429s:
            offences = self._offences.get(address, 0) + 1
            self._offences[address] = offences
            length = self.ban_seconds * 2 ** (offences - 1)
            self._banned_until[address] = now + length
            refusals.clear()
            return Verdict(418, 0, length)
        return Verdict(429, 0)
