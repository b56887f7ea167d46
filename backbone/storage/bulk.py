"""Keeping the event loop responsive while 100,000-row results are turned into objects.

Two things hold the loop up during a bulk read: the conversion itself, and the cyclic
garbage collector, which the flood of new objects triggers again and again (full
collections walk the whole heap while holding the GIL, measured at 100+ ms per read
of 130,000 candles). So large conversions run in a worker thread, and the collector
pauses for the length of a large read. The rows we build hold no reference cycles,
so nothing is lost by collecting a moment later.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

# Above this many rows a conversion moves to a worker thread and the collector pauses.
LARGE = 20_000

T = TypeVar("T")

_lock = threading.Lock()
_pauses = 0
_resume = False


@contextmanager
def collector_paused(active: bool = True) -> Iterator[None]:
    """Pause the cyclic garbage collector while the block runs (nested and thread safe).

    The collector comes back when the last overlapping pause ends, and only if it was
    running before the first one began.
    """
    global _pauses, _resume
    if not active:
        yield
        return
    with _lock:
        if _pauses == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()


async def convert(rows: Sequence[Any], function: Callable[..., T], *args: Any) -> T:
    """``function(*args, rows)``: here when ``rows`` is short, in a worker thread when long.

    The caller hands ``rows`` over: no reference to the list survives the call, so its
    tuples are freed before the collector resumes rather than becoming its backlog (a
    worker thread can otherwise keep its arguments alive a moment after it answers).
    """
    if len(rows) <= LARGE:
        return function(*args, rows)
    box = [rows]
    del rows  # the box holds the only reference now; job() takes it out

    def job() -> T:
        return function(*args, box.pop())

    return await asyncio.to_thread(job)
