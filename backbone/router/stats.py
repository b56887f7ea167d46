"""Counters the router keeps about its own traffic, and the frozen view it hands out.

The recorder is written by the channels; callers only ever see a
:class:`RouterStats` copy, so reading stats never races with the traffic.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

from backbone.domain.priority import Priority

RECENT_WAITS = 2048  # token waits kept per priority for percentiles


@dataclass(frozen=True, slots=True)
class RouterStats:
    """A snapshot of the router's counters.

    ``calls_by_group`` counts HTTP requests sent (retries included);
    ``token_wait_ms`` holds the most recent rate-token waits per priority.
    """

    calls_by_group: dict[str, int]
    status_429: int
    status_418: int
    retries: int
    token_wait_ms: dict[Priority, list[float]]
    ws_messages: int
    ws_reconnects: int
    statuses: dict[int, int] = field(default_factory=dict)
    ws_dropped_updates: int = 0
    rest_errors: dict[str, int] = field(default_factory=dict)


class StatsRecorder:
    """Mutable counters shared by the REST and WebSocket channels."""

    def __init__(self) -> None:
        self.calls_by_group: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.retries = 0
        self.token_wait_ms: dict[Priority, deque[float]] = {
            p: deque(maxlen=RECENT_WAITS) for p in Priority
        }
        self.ws_messages = 0
        self.ws_reconnects = 0
        self.ws_dropped_updates = 0
        self.rest_errors: Counter[str] = Counter()

    def record_wait(self, priority: Priority, wait_ms: float) -> None:
        self.token_wait_ms[priority].append(wait_ms)

    def snapshot(self) -> RouterStats:
        """A frozen copy of every counter."""
        return RouterStats(
            calls_by_group=dict(self.calls_by_group),
            status_429=self.statuses[429],
            status_418=self.statuses[418],
            retries=self.retries,
            token_wait_ms={p: list(waits) for p, waits in self.token_wait_ms.items()},
            ws_messages=self.ws_messages,
            ws_reconnects=self.ws_reconnects,
            statuses=dict(self.statuses),
            ws_dropped_updates=self.ws_dropped_updates,
            rest_errors=dict(self.rest_errors),
        )
