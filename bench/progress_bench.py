"""The progress tracker over 100,000 requests: time per request and what it holds, first slice vs last.

Each request runs as the backbone runs it (pinned while running, one page event,
the final event). A flat tracker shows a last/first ratio near 1 and the same
channel count in both slices; the figures are CPU-bound, so a busy machine
makes them noisy.

    python -m bench progress [--quick]      (--quick: 20,000 requests)
"""

from __future__ import annotations

import time
from typing import Any

from backbone.api.progress import ProgressEvent, ProgressTracker

FULL_REQUESTS = 100_000
QUICK_REQUESTS = 20_000
SLICE = 10_000


def run_one_request(tracker: ProgressTracker) -> None:
    """One request as the backbone runs it: pinned while running, a page event, the final event."""
    rid = tracker.new_id()
    with tracker.running(rid):
        tracker.cancel_event(rid)
        tracker.publish(ProgressEvent(rid, 1, 2, 200, 0.5, False))
        tracker.publish(ProgressEvent(rid, 2, 2, 400, 0.0, True))


def _slice(tracker: ProgressTracker) -> float:
    started = time.perf_counter()
    for _ in range(SLICE):
        run_one_request(tracker)
    return (time.perf_counter() - started) / SLICE * 1e6


async def run(quick: bool) -> dict[str, Any]:
    """Figures for ``python -m bench``: microseconds per request and channels held, first and last slice."""
    total = QUICK_REQUESTS if quick else FULL_REQUESTS
    tracker = ProgressTracker()
    first_us = _slice(tracker)
    first_held = tracker.retained
    for _ in range(total - 2 * SLICE):
        run_one_request(tracker)
    last_us = _slice(tracker)
    return {
        "requests": total,
        "first_slice_us_per_request": round(first_us, 2),
        "last_slice_us_per_request": round(last_us, 2),
        "last_over_first": round(last_us / first_us, 2),
        "held_after_first_slice": first_held,
        "held_at_end": tracker.retained,
    }


def print_figures(figures: dict[str, Any]) -> None:
    """One line per figure."""
    print(f"progress tracker over {figures['requests']:,} requests (CPU-bound: noisy on a busy machine)")
    print(f"  us/request first {SLICE:,}: {figures['first_slice_us_per_request']}, "
          f"last {SLICE:,}: {figures['last_slice_us_per_request']} (ratio {figures['last_over_first']})")
    print(f"  channels held after the first slice: {figures['held_after_first_slice']}, at the end: "
          f"{figures['held_at_end']}")
