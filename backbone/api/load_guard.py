"""The protected path's gate: LOW work runs only while the machine and the rate budget have room.

LOW requests are admitted while CPU and memory are below their thresholds and
the candle group has tokens above the CRITICAL reserve. Between pages LOW work
also steps aside for every request of higher priority in flight. A LOW request
never fails for load alone: it waits, and the time it waited is reported.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import psutil

from backbone.domain.priority import Priority

RATE_REASON = "rate budget held for higher priorities"


@dataclass(frozen=True, slots=True)
class LoadSample:
    """One reading of the machine's load, in percent."""

    cpu_percent: float
    memory_percent: float


@dataclass(frozen=True, slots=True)
class LoadThresholds:
    """Above these LOW work waits."""

    cpu_percent: float = 70.0
    memory_percent: float = 80.0
    # A LOW page waits at most this long for higher requests, so a steady stream
    # of screener refreshes slows a backfill down but never starves it.
    max_yield_s: float = 1.0


def psutil_sampler() -> LoadSample:
    """The machine's CPU (since the previous call) and memory use, without blocking."""
    return LoadSample(psutil.cpu_percent(interval=None), psutil.virtual_memory().percent)


class LoadGuard:
    """Decides when LOW work may go on; counts deferrals for the monitor."""

    _RATE_POLL_S = 0.05

    def __init__(
        self,
        *,
        thresholds: LoadThresholds | None = None,
        sampler: Callable[[], LoadSample] = psutil_sampler,
        has_rate_room: Callable[[], bool] = lambda: True,
        sample_interval_s: float = 0.5,
    ) -> None:
        self.thresholds = thresholds or LoadThresholds()
        self.sampler = sampler
        self._has_rate_room = has_rate_room
        self._interval = sample_interval_s
        self._sample = LoadSample(0.0, 0.0)
        self._sampled_at = 0.0
        self._active = {priority: 0 for priority in Priority}
        self._idle = asyncio.Event()
        self._idle.set()
        self.low_waiting = 0
        self.deferrals = 0
        self.deferred_ms_total = 0.0

    @property
    def sample(self) -> LoadSample:
        """The latest load reading (refreshed at most every ``sample_interval_s``)."""
        now = time.monotonic()
        if now - self._sampled_at >= self._interval:
            self._sample = self.sampler()
            self._sampled_at = now
        return self._sample

    def active(self, priority: Priority) -> int:
        """Requests of this priority in flight now."""
        return self._active[priority]

    def enter(self, priority: Priority) -> None:
        """Note a request starting; LOW pages step aside while higher ones run."""
        self._active[priority] += 1
        if priority is not Priority.LOW:
            self._idle.clear()

    def leave(self, priority: Priority) -> None:
        """Note a request finishing."""
        self._active[priority] -= 1
        if not any(self._active[p] for p in Priority if p is not Priority.LOW):
            self._idle.set()

    def overloaded(self, *, check_rate: bool = True) -> str | None:
        """Why LOW work may not run now, or None."""
        sample = self.sample
        if sample.cpu_percent >= self.thresholds.cpu_percent:
            return f"CPU at {sample.cpu_percent:.0f}% (limit {self.thresholds.cpu_percent:.0f}%)"
        if sample.memory_percent >= self.thresholds.memory_percent:
            return f"memory at {sample.memory_percent:.0f}% (limit {self.thresholds.memory_percent:.0f}%)"
        if check_rate and not self._has_rate_room():
            return RATE_REASON
        return None

    async def admit(
        self, on_wait: Callable[[float, str], None] | None = None, *, check_rate: bool = True
    ) -> float:
        """Wait until LOW work may run; return the milliseconds spent waiting.

        ``check_rate`` also waits for the rate budget to have tokens above the
        CRITICAL reserve; between pages it is off, since the router's limiter
        already serves LOW last. ``on_wait(waited_ms, reason)`` is called at every
        poll while waiting.
        """
        reason = self.overloaded(check_rate=check_rate)
        if reason is None:
            return 0.0
        started = time.monotonic()
        waited = 0.0
        self.low_waiting += 1
        self.deferrals += 1
        try:
            while reason is not None:
                if on_wait is not None:
                    on_wait(waited, reason)
                # Tokens come back within a second; load readings change slower.
                await asyncio.sleep(self._RATE_POLL_S if reason == RATE_REASON else self._interval)
                waited = (time.monotonic() - started) * 1000
                reason = self.overloaded(check_rate=check_rate)
        finally:
            self.low_waiting -= 1
            self.deferred_ms_total += waited
        return waited

    async def yield_to_higher(self) -> None:
        """Between LOW pages: let every higher request in flight go first (bounded wait)."""
        await asyncio.sleep(0)
        if self._idle.is_set():
            return
        try:
            await asyncio.wait_for(self._idle.wait(), self.thresholds.max_yield_s)
        except TimeoutError:
            pass
