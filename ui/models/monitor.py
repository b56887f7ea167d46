"""Turn a metrics snapshot into named plot series (no Qt).

Reads the documented attributes of ``backbone.MetricsSnapshot`` (or the same
keys of a plain mapping, e.g. ``snapshot.as_dict()``), so the panel's plots are
data-driven: a new path, priority or rate group simply becomes a new curve.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Plot key -> (title, unit)
PLOTS: dict[str, tuple[str, str]] = {
    "latency": ("Latency by path (p50 · p95 · p99)", "ms"),
    "rates": ("Requests per second by priority", "req/s"),
    "cache": ("Cache hit ratio", "%"),
    "budget": ("Rate budget available by group", "tokens"),
    "queues": ("Queue depths (active requests)", "requests"),
    "load": ("CPU and memory", "%"),
    "deferrals": ("LOW deferrals", "count"),
}
QUANTILES = ("p50", "p95", "p99")


def field(snapshot: Any, name: str, default: Any = None) -> Any:
    """An attribute of a snapshot object, or a key of a mapping."""
    if isinstance(snapshot, Mapping):
        return snapshot.get(name, default)
    return getattr(snapshot, name, default)


def snapshot_series(snapshot: Any) -> dict[str, dict[str, float]]:
    """``{plot key: {curve name: value}}`` for one snapshot."""
    out: dict[str, dict[str, float]] = {key: {} for key in PLOTS}
    for path, stats in sorted((field(snapshot, "latency_by_path") or {}).items()):
        if int(field(stats, "count", 0) or 0) == 0:
            continue
        for quantile in QUANTILES:
            out["latency"][f"{path} {quantile}"] = float(field(stats, quantile, 0.0))
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
    out["deferrals"]["deferred s"] = float(field(snapshot, "low_deferred_ms", 0.0) or 0.0) / 1000.0
    return out
