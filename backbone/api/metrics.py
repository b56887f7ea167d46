"""Request metrics for the system monitor: latency percentiles, rates, errors, cache hits, alerts.

Samples live in bounded rings, so memory stays flat in a long session; the
percentiles are computed only when a snapshot is taken. ``recent_latency`` is
the one figure the monitor, the status bar and the live-bot panel all show:
what each path promises over the last ``RECENT_WINDOW_S`` (request latency for
CRITICAL, HIGH and NORMAL; time per page for LOW, whose whole backfills are
not request latency). An SLO alert is raised when a target is first broken and
once more when it is met again, never on a timer while it stays broken.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from backbone.api.load_guard import LoadGuard
from backbone.domain.priority import Priority

# The design's latency targets per priority, in ms. LOW has none: it is background work.
TARGET_MS: dict[Priority, float] = {Priority.CRITICAL: 50.0, Priority.HIGH: 100.0, Priority.NORMAL: 500.0}
_RING = 2048
_RATE_WINDOW_S = 10.0
_ALERT_EVERY_S = 30.0
LONG_DEFERRAL_MS = 30_000.0
RECENT_WINDOW_S = 60.0
"""The window of ``recent_latency``, the rolling cache hit ratio and the SLO check."""
SLO_MIN_SAMPLES = 20
SLO_RECOVERED_FRACTION = 0.8  # back under 80 % of the target, so a p99 hovering at it cannot flap
LOW_PAGE = "low_page"
"""``recent_latency`` key of LOW's figure: seconds of wall time per page, in ms."""


@dataclass(frozen=True, slots=True)
class LatencyStats:
    """Percentiles in ms over the most recent requests."""

    count: int
    p50: float
    p95: float
    p99: float
    max: float


@dataclass(frozen=True, slots=True)
class Alert:
    """Something the operator should see: an SLO broken, LOW deferred long."""

    time: float  # epoch seconds
    level: str  # "warning" or "error"
    message: str
    priority: str | None = None


@dataclass(frozen=True, slots=True)
class MetricsSnapshot:
    """Everything the monitor tab plots, at one instant."""

    timestamp: float
    uptime_s: float
    latency_by_path: dict[str, LatencyStats]
    latency_by_priority: dict[str, LatencyStats]
    requests_per_s: dict[str, float]
    request_counts: dict[str, int]
    errors_by_code: dict[str, int]
    cache_hit_ratio: float
    memory_cache: dict[str, dict[str, int]]
    upstream_calls: int
    rate_budget: dict[str, dict[str, float]]
    queue_depths: dict[str, int]
    cpu_percent: float
    memory_percent: float
    process_rss_mb: float
    low_deferrals: int
    low_deferred_ms: float
    ws_state: str
    alerts: list[Alert] = field(default_factory=list)
    recent_latency: dict[str, LatencyStats] = field(default_factory=dict)
    """Per priority over the last ``recent_window_s``: request latency for ``critical``,
    ``high`` and ``normal``; ms of wall time per page of LOW history loads as ``low_page``."""
    recent_window_s: float = RECENT_WINDOW_S
    cache_hit_ratio_total: float = 0.0
    """Hits over cacheable requests since start (``cache_hit_ratio`` is the recent window)."""

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (for ``main.py status`` and exports)."""
        from dataclasses import asdict

        return asdict(self)


def latency_stats(samples: deque[float] | list[float]) -> LatencyStats:
    """Percentiles of a set of latencies (zeros when empty)."""
    if not samples:
        return LatencyStats(0, 0.0, 0.0, 0.0, 0.0)
    values = np.fromiter(samples, dtype=float)
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return LatencyStats(len(values), float(p50), float(p95), float(p99), float(values.max()))


class _TimedRing:
    """Recent ``(time, value)`` samples, bounded in count, read back over a time window."""

    __slots__ = ("_samples",)

    def __init__(self, maxlen: int = _RING) -> None:
        self._samples: deque[tuple[float, float]] = deque(maxlen=maxlen)

    def add(self, when: float, value: float) -> None:
        self._samples.append((when, value))

    def since(self, cutoff: float) -> list[float]:
        return [value for when, value in self._samples if when >= cutoff]


class MetricsCollector:
    """Collects one record per answered request and raises alerts.

    ``clock`` (monotonic seconds) is injectable so window and alert rules can be
    tested exactly.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.started = clock()
        self._by_path: dict[str, deque[float]] = {}
        self._by_priority: dict[Priority, deque[float]] = {p: deque(maxlen=_RING) for p in Priority}
        self._recent: dict[str, _TimedRing] = {key: _TimedRing() for key in _RECENT_KEYS}
        self._cache_outcomes = _TimedRing()
        self._times: dict[Priority, deque[float]] = {p: deque() for p in Priority}
        self._slo_broken: set[Priority] = set()
        self.counts: Counter[Priority] = Counter()
        self.errors: Counter[str] = Counter()
        self.cache_hits = 0
        self.cacheable = 0
        self.upstream_calls = 0
        self.alerts: deque[Alert] = deque(maxlen=200)
        self._last_alert: dict[str, float] = {}
        self._long_deferrals: deque[str] = deque(maxlen=256)
        self._listeners: list[asyncio.Queue[Alert]] = []

    def record(
        self,
        *,
        priority: Priority,
        path: str,
        latency_ms: float,
        error_code: str | None,
        cache_hit: bool,
        upstream_calls: int,
        slo_applies: bool,
    ) -> None:
        """Count one answered request. ``slo_applies`` is False for cold history loads."""
        now = self._clock()
        self._by_path.setdefault(path, deque(maxlen=_RING)).append(latency_ms)
        self._by_priority[priority].append(latency_ms)
        if priority is not Priority.LOW:  # a whole backfill is not what LOW promises
            self._recent[priority.value].add(now, latency_ms)
        self._times[priority].append(now)
        self.counts[priority] += 1
        self.upstream_calls += upstream_calls
        if error_code is not None:
            self.errors[error_code] += 1
        if path != "critical":
            self.cacheable += 1
            self.cache_hits += int(cache_hit)
            self._cache_outcomes.add(now, 1.0 if cache_hit else 0.0)
        if priority in TARGET_MS and slo_applies and error_code is None:
            self._check_slo(priority, now)

    def record_page(self, ms_per_page: float) -> None:
        """Wall time per page of a LOW history load (what the protected path promises)."""
        self._recent[LOW_PAGE].add(self._clock(), ms_per_page)

    def _check_slo(self, priority: Priority, now: float) -> None:
        """Alert when the recent p99 first breaks the target, and once when it is met again."""
        target = TARGET_MS[priority]
        window = self._recent[priority.value].since(now - RECENT_WINDOW_S)
        if len(window) < SLO_MIN_SAMPLES:
            return
        p99 = float(np.percentile(np.asarray(window), 99))
        name = priority.value.upper()
        if priority not in self._slo_broken and p99 > target:
            self._slo_broken.add(priority)
            self._raise(Alert(
                time.time(), "warning",
                f"{name} p99 latency {p99:.0f} ms is over its {target:.0f} ms target", priority.value,
            ))
        elif priority in self._slo_broken and p99 < target * SLO_RECOVERED_FRACTION:
            self._slo_broken.discard(priority)
            self._raise(Alert(
                time.time(), "info", f"{name} p99 latency {p99:.0f} ms is back within its {target:.0f} ms target",
                priority.value,
            ))

    def note_deferral(self, waited_ms: float, reason: str, request_id: str) -> None:
        """A LOW request has waited for load; alert once per request once it has waited long."""
        if waited_ms < LONG_DEFERRAL_MS or request_id in self._long_deferrals:
            return
        self._long_deferrals.append(request_id)
        self._raise(Alert(time.time(), "warning", f"LOW work deferred for {waited_ms / 1000:.0f} s: {reason}", "low"))

    def alert(self, level: str, message: str, priority: str | None = None) -> None:
        """Raise an alert, at most once per ``_ALERT_EVERY_S`` for the same subject."""
        key = f"{priority}:{message.split(' ', 3)[:3]}"
        now = self._clock()
        if now - self._last_alert.get(key, -1e9) < _ALERT_EVERY_S:
            return
        self._last_alert[key] = now
        self._raise(Alert(time.time(), level, message, priority))

    def _raise(self, alert: Alert) -> None:
        self.alerts.append(alert)
        for queue in self._listeners:
            queue.put_nowait(alert)

    async def alert_stream(self) -> AsyncIterator[Alert]:
        """Every alert raised from now on."""
        queue: asyncio.Queue[Alert] = asyncio.Queue()
        self._listeners.append(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._listeners.remove(queue)

    def rates(self) -> dict[str, float]:
        """Requests per second by priority over the last few seconds."""
        now = self._clock()
        cutoff = now - _RATE_WINDOW_S
        window = min(_RATE_WINDOW_S, max(1e-3, now - self.started))
        out = {}
        for priority, times in self._times.items():
            while times and times[0] < cutoff:
                times.popleft()
            out[priority.value] = len(times) / window
        return out

    def latency_by_path(self) -> dict[str, LatencyStats]:
        return {path: latency_stats(ring) for path, ring in self._by_path.items()}

    def latency_by_priority(self) -> dict[str, LatencyStats]:
        return {p.value: latency_stats(ring) for p, ring in self._by_priority.items()}

    def recent_latency(self) -> dict[str, LatencyStats]:
        """What each path promises, over the last ``RECENT_WINDOW_S`` (see the module doc)."""
        cutoff = self._clock() - RECENT_WINDOW_S
        return {key: latency_stats(ring.since(cutoff)) for key, ring in self._recent.items()}

    @property
    def cache_hit_ratio(self) -> float:
        """Hits over cacheable requests in the last ``RECENT_WINDOW_S`` (0 when there were none)."""
        outcomes = self._cache_outcomes.since(self._clock() - RECENT_WINDOW_S)
        return sum(outcomes) / len(outcomes) if outcomes else 0.0

    @property
    def cache_hit_ratio_total(self) -> float:
        """Hits over cacheable requests since start."""
        return self.cache_hits / self.cacheable if self.cacheable else 0.0

    def snapshot(
        self,
        *,
        guard: LoadGuard,
        rate_budget: dict[str, dict[str, float]],
        memory_cache: dict[str, dict[str, int]],
        ws_state: str,
        rss_mb: float,
    ) -> MetricsSnapshot:
        """Everything the monitor shows, with the load guard's queues and readings."""
        sample = guard.sample
        depths = {p.value: guard.active(p) for p in Priority}
        depths["low_waiting"] = guard.low_waiting
        return MetricsSnapshot(
            timestamp=time.time(),
            uptime_s=self._clock() - self.started,
            latency_by_path=self.latency_by_path(),
            latency_by_priority=self.latency_by_priority(),
            requests_per_s=self.rates(),
            request_counts={p.value: self.counts[p] for p in Priority},
            errors_by_code=dict(self.errors),
            cache_hit_ratio=self.cache_hit_ratio,
            memory_cache=memory_cache,
            upstream_calls=self.upstream_calls,
            rate_budget=rate_budget,
            queue_depths=depths,
            cpu_percent=sample.cpu_percent,
            memory_percent=sample.memory_percent,
            process_rss_mb=rss_mb,
            low_deferrals=guard.deferrals,
            low_deferred_ms=guard.deferred_ms_total,
            ws_state=ws_state,
            alerts=list(self.alerts),
            recent_latency=self.recent_latency(),
            cache_hit_ratio_total=self.cache_hit_ratio_total,
        )


_RECENT_KEYS = (Priority.CRITICAL.value, Priority.HIGH.value, Priority.NORMAL.value, LOW_PAGE)
