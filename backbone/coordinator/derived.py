"""Coarser candles made from stored minutes instead of fetched.

Before a request for 3m..240m, day, week, month or year candles plans its pages, every
slot it still lacks whose minutes are all known (minute coverage, so a minute without
trades counts as known) is aggregated from the stored minutes and stored with its
coverage, exactly as a fetched page would be. Only the slots left over cost exchange
calls; the still-forming slot never has complete minutes, so it is always fetched.
A day needs the previous day's minutes too, for its previous close.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from backbone.coordinator.gap_fill import slot_starts
from backbone.coordinator.planner import Span
from backbone.domain.aggregation import DERIVABLE, aggregate
from backbone.domain.candle_columns import CandleColumns
from backbone.domain.clock import ms_to_utc, utc_to_ms
from backbone.domain.timeframes import TIMEFRAMES, Timeframe

if TYPE_CHECKING:
    from backbone.storage import MarketStore

MINUTE = TIMEFRAMES["1m"]
_DAY_LEAD = timedelta(days=1)


async def derive_from_minutes(
    store: MarketStore, market: str, timeframe: Timeframe, start: datetime, end: datetime
) -> int:
    """Store every missing ``timeframe`` slot of ``[start, end)`` whose minutes are complete.

    Returns how many slots were derived (slots without trades included).
    """
    if timeframe.code not in DERIVABLE or start >= end:
        return 0
    lead = _DAY_LEAD if timeframe.code == "1d" else timedelta(0)
    derived = 0
    for a, b in await store.missing(market, timeframe, start, end):
        minute_gaps = await store.missing(market, MINUTE, a - lead, b)
        for run_start, run_end in _complete_runs(timeframe, a, b, minute_gaps, lead):
            minutes = await store.read_candles(market, MINUTE, run_start - lead, run_end)
            candles = aggregate(minutes, timeframe)
            for piece_start, piece_end in _usable(candles, timeframe, run_start, run_end):
                piece = candles.between(utc_to_ms(piece_start), utc_to_ms(piece_end))
                await store.write_candles(market, timeframe, piece, covered=(piece_start, piece_end))
                derived += timeframe.count_between(piece_start, piece_end)
    return derived


def _complete_runs(
    timeframe: Timeframe, start: datetime, end: datetime, minute_gaps: list[Span], lead: timedelta
) -> list[Span]:
    """Runs of consecutive slots in ``[start, end)`` whose minutes (from ``lead`` before) are all known."""
    slots = slot_starts(timeframe, timeframe.ceil(start), end)
    if not len(slots):
        return []
    slot_ends = np.r_[slots[1:], utc_to_ms(timeframe.shift(ms_to_utc(int(slots[-1])), 1))]
    lead_ms = int(lead.total_seconds() * 1000)
    gap_starts = np.asarray([utc_to_ms(a) for a, _ in minute_gaps], dtype=np.int64)
    gap_ends = np.asarray([utc_to_ms(b) for _, b in minute_gaps], dtype=np.int64)
    # A slot [x, y) is incomplete when some gap [g0, g1) has g1 > x - lead and g0 < y.
    first_after = np.searchsorted(gap_ends, slots - lead_ms, side="right")
    hit = first_after < len(gap_starts)
    hit[hit] = gap_starts[first_after[hit]] < slot_ends[hit]
    complete = ~hit & (slot_ends <= utc_to_ms(end))
    return _runs(slots, slot_ends, complete)


def _usable(candles: CandleColumns, timeframe: Timeframe, start: datetime, end: datetime) -> list[Span]:
    """``[start, end)`` minus the days whose previous close is unknown (day candles only)."""
    if timeframe.code != "1d":
        return [(start, end)]
    days = slot_starts(timeframe, start, end)
    inside = candles.between(utc_to_ms(start), utc_to_ms(end))
    index = np.searchsorted(inside.start_ms, days)
    has = (index < len(inside)) & (inside.start_ms[np.minimum(index, max(len(inside) - 1, 0))] == days)
    bad = np.zeros(len(days), np.bool_)
    if len(inside):
        bad[has] = np.isnan(inside.prev_closing_price[index[has]])
    # A day without trades is fine in itself, but the day after it has no known previous close.
    day_ends = days + 86_400_000
    return _runs(days, day_ends, ~bad)


def _runs(starts: np.ndarray, ends: np.ndarray, keep: np.ndarray) -> list[Span]:
    """Maximal runs of consecutive kept slots, as datetime spans."""
    runs: list[Span] = []
    edges = np.diff(np.r_[0, keep.astype(np.int8), 0])
    for first, stop in zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True):
        runs.append((ms_to_utc(int(starts[first])), ms_to_utc(int(ends[stop - 1]))))
    return runs
