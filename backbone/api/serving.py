"""How the backbone serves one request: what a path hands back, what its waits tell listeners.

Kept apart from ``MarketDataBackbone`` so the door itself reads as the seed's calls; these
are the pieces every call shares.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, ParamSpec

from backbone.api.load_guard import LoadGuard
from backbone.api.metrics import MetricsCollector
from backbone.api.progress import ProgressCallback, ProgressEvent, ProgressTracker
from backbone.api.response import (
    PATH_CRITICAL,
    PATH_PROTECTED,
    PATH_STANDARD,
    BackboneMetadata,
    BackboneResponse,
)
from backbone.coordinator import Progress
from backbone.domain.candle_columns import CandleColumns
from backbone.domain.errors import BackboneError
from backbone.domain.priority import Priority
from backbone.router import Wait


class Outcome:
    """What a path hands back to the backbone's serving step."""

    __slots__ = ("cache_hit", "candles", "channel", "data", "layers", "slo_applies", "upstream_calls")

    def __init__(
        self,
        data: list[dict[str, Any]] | None,
        layers: list[str],
        *,
        cache_hit: bool = False,
        upstream_calls: int = 0,
        channel: str | None = None,
        slo_applies: bool = True,
        candles: CandleColumns | None = None,
    ) -> None:
        self.data = data
        self.candles = candles
        self.layers = layers
        self.cache_hit = cache_hit
        self.upstream_calls = upstream_calls
        self.channel = channel
        self.slo_applies = slo_applies


P = ParamSpec("P")


def as_upbit_chunks(
    stream: Callable[P, AsyncIterator[CandleColumns]], doc: str
) -> Callable[P, AsyncIterator[list[dict[str, Any]]]]:
    """A column stream whose chunks come out as the seed's Upbit-named dicts."""

    async def chunks(*args: P.args, **kwargs: P.kwargs) -> AsyncIterator[list[dict[str, Any]]]:
        async for chunk in stream(*args, **kwargs):
            yield chunk.to_upbit()

    chunks.__doc__ = doc
    chunks.__name__ = chunks.__qualname__ = "stream_candle_data"
    # help() and editors show the real parameters, not *args.
    chunks.__signature__ = inspect.signature(stream).replace(  # type: ignore[attr-defined]
        return_annotation="AsyncIterator[list[dict[str, Any]]]"
    )
    return chunks


class WaitReport:
    """What one request's exchange calls waited for, told to its progress listeners.

    Machine load holding LOW work back is reported while it lasts (``deferred``
    events, at most every ``_EVERY_S``) and summed into ``deferred_ms``; a long wait
    in the queue behind higher priorities is reported once the call goes.
    """

    _EVERY_S = 0.25
    _LONG_QUEUE_S = 1.0

    def __init__(
        self,
        load_guard: LoadGuard,
        metrics: MetricsCollector,
        tracker: ProgressTracker,
        request_id: str,
        progress: ProgressCallback | None,
    ) -> None:
        self._load_guard = load_guard
        self._metrics = metrics
        self._tracker = tracker
        self._request_id = request_id
        self._progress = progress
        self._told_at = float("-inf")
        self._held = False
        self.deferred_ms = 0.0

    def __call__(self, wait: Wait) -> None:
        guard = self._load_guard
        if wait.served:
            if wait.load_s > 0:
                self.deferred_ms += wait.load_s * 1000
                guard.note_deferred(wait.load_s * 1000)
                self._set_held(False)
            elif wait.waited_s >= self._LONG_QUEUE_S:
                self._publish(False, wait.waited_s, f"waited {wait.waited_s:.1f} s: {wait.reason}")
            return
        self._set_held(True)
        self._metrics.note_deferral(wait.load_s * 1000, wait.reason, self._request_id)
        now = time.monotonic()
        if now - self._told_at >= self._EVERY_S:
            self._told_at = now
            self._publish(True, self.deferred_ms / 1000 + wait.load_s, f"waiting for system load: {wait.reason}")

    def close(self) -> None:
        self._set_held(False)

    def _set_held(self, held: bool) -> None:
        if held != self._held:
            self._held = held
            self._load_guard.low_waiting += 1 if held else -1

    def _publish(self, deferred: bool, waited_s: float, message: str) -> None:
        tracker = self._tracker
        last = tracker.latest(self._request_id)
        tracker.publish(
            ProgressEvent(
                self._request_id, last.pages_done if last else 0, last.pages_total if last else 0,
                last.candles_done if last else 0, None, False, deferred, waited_s * 1000, message,
            ),
            self._progress,
        )


def path_for(priority: Priority) -> str:
    """The path a priority takes: critical, standard or protected."""
    if priority is Priority.CRITICAL:
        return PATH_CRITICAL
    if priority is Priority.LOW:
        return PATH_PROTECTED
    return PATH_STANDARD


def progress_relay(
    metrics: MetricsCollector,
    tracker: ProgressTracker,
    request_id: str,
    callback: ProgressCallback | None,
    priority: Priority,
) -> Callable[[Progress], None]:
    """Turns the coordinator's page progress into the request's public progress events."""
    # LOW promises steady pages, not a short backfill: its monitor figure is the wall
    # time per page between progress events.
    last = [time.perf_counter(), 0]

    def relay(event: Progress) -> None:
        if event.done:
            return  # the final event is published once the result is complete
        if priority is Priority.LOW and event.pages_done > last[1]:
            now = time.perf_counter()
            metrics.record_page((now - last[0]) * 1000 / (event.pages_done - last[1]))
            last[:] = [now, event.pages_done]
        tracker.publish(
            ProgressEvent(
                request_id, event.pages_done, event.pages_total, event.candles_done, event.eta_s, False
            ),
            callback,
        )

    return relay


def final_event(tracker: ProgressTracker, request_id: str, candles: int) -> ProgressEvent:
    """The last event of a request: every page done, published once its result is complete."""
    last = tracker.latest(request_id)
    pages = last.pages_total if last else 0
    return ProgressEvent(request_id, pages, pages, candles, 0.0, True)


def failure_response(
    metrics: MetricsCollector,
    priority: Priority,
    path: str,
    request_id: str,
    started: float,
    error: BackboneError,
    deferred_ms: float = 0.0,
) -> BackboneResponse:
    """A failed request's answer, counted in the metrics: the caller gets a response, never a raise."""
    elapsed = (time.perf_counter() - started) * 1000
    metrics.record(
        priority=priority, path=path, latency_ms=elapsed, error_code=error.code, cache_hit=False,
        upstream_calls=0, slo_applies=False,
    )
    metadata = BackboneMetadata(
        priority_used=priority, path_taken=path, processing_time_ms=elapsed, data_count=0,
        source_layers=[], cache_hit=False, error_code=error.code, request_id=request_id, deferred_ms=deferred_ms,
    )
    return BackboneResponse(False, [], metadata, error=error.message)
