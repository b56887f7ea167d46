"""The system monitor's model: plot series and their buffers, the status-bar sentence and the
alert list (no Qt).

Reads the documented attributes of ``backbone.MetricsSnapshot`` (or the same
keys of a plain mapping, e.g. ``snapshot.as_dict()``), so the panel's plots are
data-driven: a new priority or rate group simply becomes a new curve.

Latency is read from ``recent_latency`` only: the figure each path promises over
the last minute (request latency for CRITICAL, HIGH and NORMAL; time per page for
LOW). The monitor, the status bar and the live-bot panel all read that one
figure, so they agree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backbone.api.metrics import LOW_PAGE, TARGET_MS
from backbone.domain.clock import KST
from backbone.domain.priority import Priority

FloatArray = NDArray[np.float64]

# Plot key -> (title, unit)
PLOTS: dict[str, tuple[str, str]] = {
    "latency": ("Request latency, last minute", "ms"),
    "pages": ("LOW history: time per page, last minute", "s"),
    "rates": ("Requests per second", "req/s"),
    "cache": ("Cache hit ratio, last minute", "%"),
    "budget": ("Rate budget available", "tokens"),
    "queues": ("Active requests", "requests"),
    "load": ("CPU and memory", "%"),
    "deferrals": ("LOW deferrals since start", "count"),
}
QUANTILES = ("p50", "p99")  # the typical and the worst-but-one-in-a-hundred: two lines a path
REQUEST_PATHS = (Priority.CRITICAL, Priority.HIGH, Priority.NORMAL)
"""The priorities whose promise is a request latency (LOW's is a time per page)."""
AUDIENCE: dict[Priority, str] = {
    Priority.CRITICAL: "live prices",
    Priority.HIGH: "screener",
    Priority.NORMAL: "charts",
}
"""What a trader calls the work each priority serves, for the status bar."""


def field(snapshot: Any, name: str, default: Any = None) -> Any:
    """An attribute of a snapshot object, or a key of a mapping."""
    if isinstance(snapshot, Mapping):
        return snapshot.get(name, default)
    return getattr(snapshot, name, default)


def promise(snapshot: Any, key: str) -> Any | None:
    """The recent latency statistics of one path (``"critical"``, ... or ``LOW_PAGE``), or None
    when it served nothing in the window."""
    stats = (field(snapshot, "recent_latency") or {}).get(key)
    if stats is None or int(field(stats, "count", 0) or 0) == 0:
        return None
    return stats


def snapshot_series(snapshot: Any) -> dict[str, dict[str, float]]:
    """``{plot key: {curve name: value}}`` for one snapshot."""
    out: dict[str, dict[str, float]] = {key: {} for key in PLOTS}
    for priority in REQUEST_PATHS:
        stats = promise(snapshot, priority.value)
        if stats is not None:
            for quantile in QUANTILES:
                out["latency"][f"{priority.value.upper()} {quantile}"] = float(field(stats, quantile, 0.0))
    pages = promise(snapshot, LOW_PAGE)
    if pages is not None:
        for quantile in QUANTILES:
            out["pages"][f"LOW {quantile}"] = float(field(pages, quantile, 0.0)) / 1000.0
    for priority, rate in (field(snapshot, "requests_per_s") or {}).items():
        out["rates"][str(priority)] = float(rate)
    out["cache"]["hit ratio"] = 100.0 * float(field(snapshot, "cache_hit_ratio", 0.0) or 0.0)
    for group, budget in sorted((field(snapshot, "rate_budget") or {}).items()):
        available = field(budget, "available", budget if isinstance(budget, int | float) else 0.0)
        out["budget"][str(group)] = float(available)
    for name, depth in (field(snapshot, "queue_depths") or {}).items():
        out["queues"][str(name)] = float(depth)
    out["load"]["cpu"] = float(field(snapshot, "cpu_percent", 0.0) or 0.0)
    out["load"]["memory"] = float(field(snapshot, "memory_percent", 0.0) or 0.0)
    out["deferrals"]["deferrals"] = float(field(snapshot, "low_deferrals", 0) or 0)
    out["deferrals"]["waited s"] = float(field(snapshot, "low_deferred_ms", 0.0) or 0.0) / 1000.0
    return out


def format_ms(ms: float) -> str:
    """A latency as a trader reads it: whole ms below 10 s, seconds above."""
    if ms >= 10_000:
        return f"{ms / 1000:.0f} s"
    if ms >= 1000:
        return f"{ms / 1000:.1f} s"
    return f"{ms:.1f} ms" if ms < 10 else f"{ms:.0f} ms"


def status_text(snapshot: Any) -> str:
    """The status bar's sentence: how fast each kind of work was answered in the last minute."""
    parts = []
    for priority, audience in AUDIENCE.items():
        stats = promise(snapshot, priority.value)
        if stats is None:
            continue
        p99 = float(field(stats, "p99", 0.0))
        slow = " (slow)" if p99 > TARGET_MS[priority] else ""
        parts.append(f"{audience} {format_ms(p99)}{slow}")
    pages = promise(snapshot, LOW_PAGE)
    if pages is not None:
        parts.append(f"history {float(field(pages, 'p50', 0.0)) / 1000:.1f} s per page")
    shared = desk_text(snapshot)
    if not parts:
        return "No requests answered in the last minute" + (f" · {shared}" if shared else "")
    return "Answered within (99%), last minute: " + " · ".join(parts + ([shared] if shared else []))


def desk_text(snapshot: Any) -> str:
    """What this app may spend of candle calls when other apps share the address, else ""."""
    budget = (field(snapshot, "rate_budget") or {}).get("candle")
    if budget is None:
        return ""
    limit, part = float(field(budget, "limit_per_s", 0.0)), float(field(budget, "part", 0.0) or 0.0)
    if not 0 < part < limit:
        return ""
    return f"address shared by a desk: this app's part {part:.0f} of {limit:.0f} candle calls/s"


@dataclass(slots=True)
class AlertRow:
    """One subject in the alert list: its latest wording and how often it was raised."""

    level: str
    message: str
    first: float  # epoch seconds
    last: float
    count: int = 1

    def text(self, time_format: Any) -> str:
        """``time_format(epoch seconds) -> str`` renders the times (the widget picks KST)."""
        line = f"{time_format(self.last)}  {self.level.upper()}  {self.message}"
        if self.count > 1:
            line += f"  (×{self.count} since {time_format(self.first)})"
        return line


class AlertLog:
    """Alerts folded by subject: the same alert raised again updates its row, never adds one.

    The subject is the level, the priority and the wording with its numbers blanked,
    so "p99 120 ms is over" and "p99 130 ms is over" are one row. An alert seen twice
    (from the snapshot and from the stream) counts once.
    """

    def __init__(self, limit: int = 500) -> None:
        self.limit = limit
        self.rows: dict[tuple[str, str, str], AlertRow] = {}
        self._seen: set[tuple[float, str]] = set()

    def add(self, alert: Any) -> tuple[AlertRow, bool] | None:
        """Fold one alert in; ``(row, is_new_row)``, or None when this very alert was seen."""
        when = float(field(alert, "time", 0.0) or 0.0)
        message = str(field(alert, "message", ""))
        if (when, message) in self._seen:
            return None
        self._seen.add((when, message))
        level = str(field(alert, "level", "warning"))
        subject = (level, str(field(alert, "priority", "")), re.sub(r"\d+(\.\d+)?", "#", message))
        row = self.rows.get(subject)
        if row is not None:
            row.message, row.last, row.count = message, max(row.last, when), row.count + 1
            return row, False
        row = AlertRow(level, message, when, when)
        self.rows[subject] = row
        while len(self.rows) > self.limit:
            del self.rows[next(iter(self.rows))]
        return row, True


def kst_clock(epoch_s: float) -> str:
    """``HH:MM:SS`` in KST."""
    return datetime.fromtimestamp(epoch_s, tz=KST).strftime("%H:%M:%S")


class SeriesBuffer:
    """The last ``capacity`` samples of one plotted series, as numpy columns.

    A doubled ring: each sample is written twice, ``capacity`` apart, so the newest
    ``capacity`` samples are always one contiguous slice and reading them never copies.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self._x = np.empty(2 * capacity)
        self._y = np.empty(2 * capacity)
        self._count = 0

    def __len__(self) -> int:
        return min(self._count, self.capacity)

    def append(self, x: float, y: float) -> None:
        slot = self._count % self.capacity
        self._x[slot] = self._x[slot + self.capacity] = x
        self._y[slot] = self._y[slot + self.capacity] = y
        self._count += 1

    def columns(self) -> tuple[FloatArray, FloatArray]:
        """``(x, y)`` oldest first: views, valid until the next ``append``."""
        n = len(self)
        begin = self._count % self.capacity if self._count > self.capacity else 0
        return self._x[begin : begin + n], self._y[begin : begin + n]
