"""Interval arithmetic for coverage: pure functions on half-open ``[start, end)`` integer ranges.

Coverage records which aligned candle starts are known complete for one (market,
timeframe). Values are epoch milliseconds of aligned candle starts, so every range
boundary is itself a candle start, and "the candles in ``[a, b)``" is exact even for
months and years. Everything here is pure and synchronous; the store runs it inside
its transactions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

Interval = tuple[int, int]


def normalise(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort, drop empty ranges and merge ranges that overlap or touch.

    >>> normalise([(5, 7), (0, 2), (2, 3), (6, 9), (4, 4)])
    [(0, 3), (5, 9)]
    """
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def absorb(new: Interval, touching: Iterable[Interval]) -> Interval:
    """The single range that ``new`` becomes once merged with ranges that overlap or touch it.

    The store selects ``touching`` with ``start <= new.end AND end >= new.start``; every
    such range joins ``new`` into one, so the store deletes them and inserts the result.
    """
    start, end = new
    for other_start, other_end in touching:
        if other_end < start or other_start > end:
            raise ValueError(f"range {(other_start, other_end)} neither overlaps nor touches {new}")
        start = min(start, other_start)
        end = max(end, other_end)
    return start, end


def subtract(covered: Sequence[Interval], start: int, end: int) -> list[Interval]:
    """The parts of ``[start, end)`` that no range in ``covered`` contains, ascending.

    ``covered`` must be normalised (sorted, disjoint, non-touching), as the store keeps it.

    >>> subtract([(2, 4), (6, 7)], 0, 10)
    [(0, 2), (4, 6), (7, 10)]
    >>> subtract([(0, 10)], 3, 5)
    []
    """
    gaps: list[Interval] = []
    cursor = start
    for covered_start, covered_end in covered:
        if covered_end <= cursor:
            continue
        if covered_start >= end:
            break
        if covered_start > cursor:
            gaps.append((cursor, covered_start))
        cursor = max(cursor, covered_end)
        if cursor >= end:
            break
    if cursor < end:
        gaps.append((cursor, end))
    return gaps


def intersect(covered: Sequence[Interval], start: int, end: int) -> list[Interval]:
    """The parts of normalised ``covered`` inside ``[start, end)``, ascending."""
    out: list[Interval] = []
    for covered_start, covered_end in covered:
        lo, hi = max(covered_start, start), min(covered_end, end)
        if lo < hi:
            out.append((lo, hi))
    return out
