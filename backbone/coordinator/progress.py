"""Progress reporting for long candle requests: monotone events with an ETA from the measured rate."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from backbone.coordinator.requests import Progress

ProgressCallback = Callable[[Progress], None]

log = logging.getLogger(__name__)


class ProgressTracker:
    """Counts pages and candles and tells the caller, never going backwards.

    A "latest N" request on a quiet market may add pages after its first round
    finished; events whose percentage would drop are held back until the count
    catches up, and only the final event reaches 100%.
    """

    def __init__(self, callback: ProgressCallback | None) -> None:
        self._callback = callback
        self._pages_done = 0
        self._pages_total = 0
        self._candles = 0
        self._started = time.monotonic()
        self._last_percent = -1.0
        self._finished = False

    @property
    def pages_total(self) -> int:
        return self._pages_total

    def add_pages(self, pages: int) -> None:
        """More pages are planned; announce the start when these are the first."""
        if pages <= 0:
            return
        first = self._pages_total == 0
        self._pages_total += pages
        if first:
            self._emit(done=False)

    def ensure_total(self, pages: int) -> None:
        """Raise the planned total to at least ``pages`` (a walk learns its length as it goes)."""
        self.add_pages(pages - self._pages_total)

    @property
    def pages_done(self) -> int:
        return self._pages_done

    def page_done(self, candles: int) -> None:
        """One page arrived and was stored."""
        self._pages_done += 1
        self._candles += candles
        self._emit(done=False)

    def finish(self, candles: int) -> None:
        """The request is answered; the last event is 100%."""
        if self._finished:
            return
        self._finished = True
        self._pages_done = self._pages_total = max(self._pages_done, self._pages_total)
        self._candles = max(self._candles, candles)
        self._emit(done=True)

    def _emit(self, *, done: bool) -> None:
        if self._callback is None or (self._finished and not done):
            return
        total = self._pages_total
        pages_done = min(self._pages_done, total)
        event = Progress(
            pages_done=pages_done,
            pages_total=total,
            candles_done=self._candles,
            eta_s=0.0 if done else self._eta(pages_done, total),
            done=done,
        )
        if not done and (pages_done >= total or event.percent < self._last_percent):
            return
        self._last_percent = event.percent
        try:
            self._callback(event)
        except Exception:
            # A broken progress display must not fail the data request.
            log.exception("progress callback failed")

    def _eta(self, pages_done: int, total: int) -> float | None:
        if pages_done <= 0:
            return None
        elapsed = time.monotonic() - self._started
        return elapsed / pages_done * (total - pages_done)
