"""Where a long column is lowest and highest, over any index range, without scanning it (no Qt).

A chart zoomed out over a million candles must, on every frame, fit its y axis to what is
in view and draw each line through every extreme it has on screen. Both questions are
answered here from extremes computed once per column:

* ``BlockExtent`` keeps each block's lowest and highest value, so the extent of a visible
  range reads a few thousand block values plus the ragged ends instead of every candle.
* ``LineExtremes`` keeps, for buckets of 8, 64, 512, ... candles aligned to global
  indices, the index of each bucket's lowest and highest finite value. A visible range cut
  into buckets of any size is then reduced from the coarsest fitting level, so a decimated
  line still passes through every bucket's minimum and maximum (two points a bucket) at a
  cost that grows with the screen's width, not with the history's length.

``nan`` (an indicator's warm-up) is never an extreme: a bucket with no finite value yields
the index of a ``nan``, which the drawing turns into a gap.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.intp]

BLOCK = 1024  # values per precomputed extent block
LEVEL_FACTOR = 8  # each decimation level's buckets are this many times the previous level's
_LEVELS = tuple(LEVEL_FACTOR**k for k in range(1, 7))  # 8 .. 262,144 values a bucket


class BlockExtent:
    """The lowest of ``low`` and the highest of ``high`` over any ``[i0, i1)``, ignoring ``nan``."""

    def __init__(self, low: FloatArray, high: FloatArray, block: int = BLOCK) -> None:
        self.low, self.high, self.block = low, high, block
        whole = len(low) // block * block
        with np.errstate(invalid="ignore"):
            self._block_low = np.fmin.reduce(low[:whole].reshape(-1, block), axis=1)
            self._block_high = np.fmax.reduce(high[:whole].reshape(-1, block), axis=1)
        self._memo: tuple[int, int, tuple[float, float] | None] | None = None  # autorange asks twice a frame

    def extent(self, i0: int, i1: int) -> tuple[float, float] | None:
        """(lowest, highest) over ``[i0, i1)``, or None when it holds no finite value."""
        if self._memo is not None and self._memo[:2] == (i0, i1):
            return self._memo[2]
        i0, i1 = max(i0, 0), min(i1, len(self.low))
        b0, b1 = -(-i0 // self.block), min(i1 // self.block, len(self._block_low))
        if b1 <= b0:
            pieces_low, pieces_high = [self.low[i0:i1]], [self.high[i0:i1]]
        else:
            head, tail = slice(i0, b0 * self.block), slice(b1 * self.block, i1)
            pieces_low = [self._block_low[b0:b1], self.low[head], self.low[tail]]
            pieces_high = [self._block_high[b0:b1], self.high[head], self.high[tail]]
        low = min(float(np.fmin.reduce(p, initial=np.inf)) for p in pieces_low)
        high = max(float(np.fmax.reduce(p, initial=-np.inf)) for p in pieces_high)
        extent = (low, high) if low <= high else None
        self._memo = (i0, i1, extent)
        return extent


class LineExtremes:
    """Each aligned bucket's lowest and highest finite value of one line, at every level."""

    def __init__(self, values: FloatArray) -> None:
        self.values = values
        self.extent = BlockExtent(values, values)
        finite = np.isfinite(values)
        first = int(np.argmax(finite)) if finite.any() else len(values)
        if finite[first:].all():
            # Only a warm-up leads (how every indicator starts): fill it with the first value,
            # search once for both extremes, then point the filled buckets back at real values.
            low_source = values.copy()
            low_source[:first] = values[first] if first < len(values) else 0.0
            high_source = low_source
        else:
            low_source = np.where(finite, values, np.inf)
            high_source = np.where(finite, values, -np.inf)
        self._lows: dict[int, IndexArray] = {}
        self._highs: dict[int, IndexArray] = {}
        lows: IndexArray | None = None
        highs: IndexArray | None = None
        size = 1
        for level in _LEVELS:
            if level > len(values):
                break
            lows = _group(low_source, lows, len(values) // level, level // size, True)
            highs = _group(high_source, highs, len(values) // level, level // size, False)
            if first:
                lows, highs = _past_warm_up(lows, level, first), _past_warm_up(highs, level, first)
            self._lows[level], self._highs[level] = lows, highs
            size = level

    def points(self, i0: int, i1: int, bucket: int) -> IndexArray:
        """Ascending indices to draw for ``[i0, i1)`` cut into buckets of at least ``bucket``
        values: each bucket's lowest and highest, and always the range's last index.

        Whole buckets are aligned to global indices (they stay put while the view pans); the
        ragged buckets at either edge are reduced from the values themselves, so nothing in
        the range is left out."""
        n = len(self.values)
        i0, i1 = max(i0, 0), min(i1, n)
        if i1 <= i0:
            return np.empty(0, dtype=np.intp)
        if bucket <= 1:
            return np.arange(i0, i1)
        level = max((size for size in self._lows if size <= bucket), default=1)
        bucket = -(-bucket // level) * level
        start = min(-(-i0 // bucket) * bucket, i1)
        whole = (i1 - start) // bucket
        end = start + whole * bucket
        per = bucket // level
        if level == 1:
            candidates_low = candidates_high = np.arange(start, end)
        else:
            candidates_low = self._lows[level][start // level : end // level]
            candidates_high = self._highs[level][start // level : end // level]
        lows, highs = [], []
        for edge in (np.arange(i0, start), None, np.arange(end, i1)):
            if edge is None:
                lows.append(_pick(self.values, candidates_low, per, True))
                highs.append(_pick(self.values, candidates_high, per, False))
            elif len(edge):
                lows.append(_pick(self.values, edge, len(edge), True))
                highs.append(_pick(self.values, edge, len(edge), False))
        low, high = np.concatenate(lows), np.concatenate(highs)
        pairs = np.empty(2 * len(low), dtype=np.intp)
        pairs[0::2] = np.minimum(low, high)
        pairs[1::2] = np.maximum(low, high)
        if not len(pairs) or pairs[-1] != i1 - 1:
            pairs = np.append(pairs, i1 - 1)
        return pairs


def _group(source: FloatArray, candidates: IndexArray | None, count: int, per: int, lowest: bool) -> IndexArray:
    """For ``count`` groups of ``per`` consecutive candidates (all indices when None), the index
    of the group's lowest (or highest) value; ties go to the earliest."""
    values = source[: count * per] if candidates is None else source[candidates[: count * per]]
    rows = values.reshape(count, per)
    positions = np.arange(count) * per + (rows.argmin(axis=1) if lowest else rows.argmax(axis=1))
    return positions if candidates is None else candidates[positions]


def _past_warm_up(indices: IndexArray, level: int, first: int) -> IndexArray:
    """Buckets whose extreme landed on a filled warm-up value point at the first real value
    when they hold it, and keep a ``nan`` (a gap) when they hold none."""
    early = indices < first
    if early.any():
        ends = (np.flatnonzero(early) + 1) * level - 1
        indices = indices.copy()
        indices[early] = np.minimum(first, ends)
    return indices


def _pick(values: FloatArray, candidates: IndexArray, per: int, lowest: bool) -> IndexArray:
    """Per group of ``per`` candidates, the one with the lowest (or highest) value; ``nan``
    never wins while the group holds a finite value."""
    count = len(candidates) // per
    if not count:
        return np.empty(0, dtype=np.intp)
    gathered = values[candidates[: count * per]]
    gathered = np.where(np.isnan(gathered), np.inf if lowest else -np.inf, gathered)
    return candidates[_group(gathered, None, count, per, lowest)]
