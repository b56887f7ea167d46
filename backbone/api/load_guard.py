"""The protected path's load reading: whether the machine has room for LOW work now.

The load guard samples CPU and memory (without blocking) and answers one
question for the router's scheduler: why LOW work should hold back right now,
or None. The scheduler then slows LOW to a trickle rather than stopping it, so
a LOW request never fails and never waits forever for load alone. The
thresholds can be changed while the app runs. The guard also counts what LOW
work waited, for the monitor.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import psutil

from backbone.domain.errors import InvalidInputError
from backbone.domain.priority import Priority


@dataclass(frozen=True, slots=True)
class LoadSample:
    """One reading of the machine's load, in percent."""

    cpu_percent: float
    memory_percent: float


@dataclass(frozen=True, slots=True)
class LoadThresholds:
    """Above these LOW work slows to a trickle."""

    cpu_percent: float = 70.0
    memory_percent: float = 80.0

    def __post_init__(self) -> None:
        for name in ("cpu_percent", "memory_percent"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 100:
                raise InvalidInputError(
                    "INVALID_THRESHOLD", name, f"{name} must be a percentage in (0, 100], got {value!r}"
                )


def psutil_sampler() -> LoadSample:
    """The machine's CPU (since the previous call) and memory use, without blocking."""
    return LoadSample(psutil.cpu_percent(interval=None), psutil.virtual_memory().percent)


class LoadGuard:
    """Says when the machine is too busy for LOW work; counts LOW's waits for the monitor."""

    def __init__(
        self,
        *,
        thresholds: LoadThresholds | None = None,
        sampler: Callable[[], LoadSample] = psutil_sampler,
        sample_interval_s: float = 0.5,
    ) -> None:
        self.thresholds = thresholds or LoadThresholds()
        self.sampler = sampler
        self._interval = sample_interval_s
        self._sample = LoadSample(0.0, 0.0)
        self._sampled_at = float("-inf")
        self._active = {priority: 0 for priority in Priority}
        self.low_waiting = 0  # LOW requests held back by load right now
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

    def set_thresholds(self, thresholds: LoadThresholds) -> None:
        """Change the thresholds while the app runs; the next reading uses them."""
        if not isinstance(thresholds, LoadThresholds):
            raise InvalidInputError(
                "INVALID_THRESHOLD", "thresholds", f"expected LoadThresholds, got {type(thresholds).__name__}"
            )
        self.thresholds = thresholds

    def active(self, priority: Priority) -> int:
        """Requests of this priority in flight now."""
        return self._active[priority]

    def enter(self, priority: Priority) -> None:
        """Note a request starting."""
        self._active[priority] += 1

    def leave(self, priority: Priority) -> None:
        """Note a request finishing."""
        self._active[priority] -= 1

    def overloaded(self) -> str | None:
        """Why LOW work should hold back now, or None (the scheduler's admission input)."""
        sample = self.sample
        if sample.cpu_percent >= self.thresholds.cpu_percent:
            return f"CPU at {sample.cpu_percent:.0f}% (limit {self.thresholds.cpu_percent:.0f}%)"
        if sample.memory_percent >= self.thresholds.memory_percent:
            return f"memory at {sample.memory_percent:.0f}% (limit {self.thresholds.memory_percent:.0f}%)"
        return None

    def note_deferred(self, load_ms: float) -> None:
        """A LOW call went after the load held it back for ``load_ms``."""
        self.deferrals += 1
        self.deferred_ms_total += load_ms
