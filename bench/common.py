"""Small pieces every benchmark shares: the realistic exchange, percentiles, a fresh backbone."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from backbone import MarketDataBackbone
from backbone.api.load_guard import LoadSample
from backbone.domain.models import utc_now
from backbone.domain.timeframes import parse_timeframe
from backbone.router.endpoints import MAX_CANDLE_COUNT as PAGE_SIZE

LATENCY_MS = 30.0  # a realistic round trip to Upbit from Korea
JITTER_MS = 5.0
SEED = 7
RATE_PER_S = 10.0  # Upbit's limit per group
MINUTE = parse_timeframe("1m")


def own_process_load() -> LoadSample:
    """The load guard's input, counting only this process's CPU.

    The benchmarks run on a machine shared with other jobs; with the default
    system-wide reading, LOW work would wait for strangers' load and the figure
    would measure them. The guard still works; it just sees our own load.
    """
    cpu = _PROCESS.cpu_percent(interval=None) / (psutil.cpu_count() or 1)
    return LoadSample(cpu, psutil.virtual_memory().percent)


_PROCESS = psutil.Process()


def history_range(days: float, *, end_lag_minutes: int = 10) -> tuple[datetime, datetime]:
    """``[start, end)`` of ``days`` of closed one-minute candles, ending a little before now."""
    end = MINUTE.floor(utc_now()) - timedelta(minutes=end_lag_minutes)
    return end - timedelta(days=days), end


def pages_for(start: datetime, end: datetime) -> int:
    """200-slot pages that cover ``[start, end)`` of one-minute candles."""
    slots = MINUTE.count_between(start, end)
    return -(-slots // PAGE_SIZE)


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/max in ms, rounded, plus how many samples."""
    if not samples:
        return {"n": 0}
    data = np.asarray(samples, dtype=float)
    return {
        "n": len(samples),
        "p50_ms": round(float(np.percentile(data, 50)), 2),
        "p95_ms": round(float(np.percentile(data, 95)), 2),
        "p99_ms": round(float(np.percentile(data, 99)), 2),
        "max_ms": round(float(data.max()), 2),
    }


def ratio(numerator: float | None, denominator: float | None, digits: int = 3) -> float | None:
    """numerator / denominator, or None when either is missing or the divisor is zero."""
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, digits)


@contextlib.asynccontextmanager
async def fresh_backbone(rest_url: str, ws_url: str, **kwargs: Any) -> AsyncIterator[MarketDataBackbone]:
    """A started backbone on a new, empty SQLite file (deleted afterwards)."""
    kwargs.setdefault("load_sampler", own_process_load)
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        backbone = MarketDataBackbone(rest_url, ws_url, str(Path(folder) / "cache.sqlite"), **kwargs)
        await backbone.start()
        try:
            yield backbone
        finally:
            await backbone.stop()
