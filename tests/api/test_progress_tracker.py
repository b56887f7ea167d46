"""The progress tracker stays flat with uptime: what it holds is bounded, whatever the request count."""

from __future__ import annotations

import asyncio
import tracemalloc

from backbone.api.progress import ProgressEvent, ProgressTracker
from bench.progress_bench import run_one_request

REQUESTS = 100_000
SLICE = 10_000


def test_100000_requests_keep_what_the_tracker_holds_and_its_memory_flat() -> None:
    tracker = ProgressTracker()
    tracemalloc.start()
    try:
        for _ in range(SLICE):
            run_one_request(tracker)
        held_after_first_slice = tracker.retained
        before = tracemalloc.take_snapshot()
        for _ in range(REQUESTS - SLICE):
            run_one_request(tracker)
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert tracker.retained == held_after_first_slice <= 1_000
    assert grown < 64 * 1024, f"the tracker grew by {grown} bytes over {REQUESTS - SLICE} requests"


def test_requests_that_report_nothing_leave_nothing_behind() -> None:
    tracker = ProgressTracker()
    for _ in range(1_000):
        with tracker.running(tracker.new_id()):
            pass
    assert tracker.retained == 0


async def test_a_late_listener_still_hears_the_final_event_and_an_early_one_every_event() -> None:
    tracker = ProgressTracker(keep_max=2)
    early = tracker.reserve_id()
    heard: list[ProgressEvent] = []

    async def listen() -> None:
        async for event in tracker.events(early):
            heard.append(event)

    listener = asyncio.create_task(listen())
    await asyncio.sleep(0)  # the listener attaches
    for _ in range(5):  # other requests come and go; the listened-to one is pinned, not dropped
        run_one_request(tracker)
    with tracker.running(early):
        tracker.publish(ProgressEvent(early, 1, 1, 10, 0.0, True))
    await asyncio.wait_for(listener, 5)
    assert [e.done for e in heard] == [True]

    late = [event async for event in tracker.events(early)]
    assert [e.request_id for e in late] == [early]


def test_cancel_reaches_a_reserved_id_before_its_request_starts() -> None:
    tracker = ProgressTracker()
    rid = tracker.reserve_id()
    assert tracker.cancel(rid)
    with tracker.running(rid):
        assert tracker.cancel_event(rid).is_set()
    assert not tracker.cancel("req-unknown")


def test_finished_channels_expire_after_keep_s() -> None:
    now = [0.0]
    tracker = ProgressTracker(keep_s=600.0, clock=lambda: now[0])
    run_one_request(tracker)
    assert tracker.retained == 1
    now[0] = 601.0
    run_one_request(tracker)
    assert tracker.retained == 1  # the first is gone, the second kept
