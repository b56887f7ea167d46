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

import math

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.intp]

BLOCK = 1024  # values per precomputed extent block
LEVEL_FACTOR = 8  # each decimation level's buckets are this many times the previous level's
_RECHECKED = 64  # values at a line's end compared one by one to find where a live change starts
_LEVELS = tuple(LEVEL_FACTOR**k for k in range(1, 7))  # 8 .. 262,144 values a bucket


class BlockExtent:
    """The lowest of ``low`` and the highest of ``high`` over any ``[i0, i1)``, ignoring ``nan``.

    ``known`` (the extent of the same columns before they changed from index ``changed`` on)
    lends its blocks before that index, so a live change costs one block, not a full pass.
    """

    def __init__(
        self, low: FloatArray, high: FloatArray, block: int = BLOCK, *, known: BlockExtent | None = None,
        changed: int = 0,
    ) -> None:
        self.low, self.high, self.block = low, high, block
        start = 0 if known is None else min(changed // block, len(known._block_low))
        whole = len(low) // block
        with np.errstate(invalid="ignore"):
            block_low = np.fmin.reduce(low[start * block : whole * block].reshape(-1, block), axis=1)
            block_high = np.fmax.reduce(high[start * block : whole * block].reshape(-1, block), axis=1)
        if known is not None and start:
            block_low = np.concatenate((known._block_low[:start], block_low))
            block_high = np.concatenate((known._block_high[:start], block_high))
        self._block_low, self._block_high = block_low, block_high
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
        self._warm_up_only = bool(finite[first:].all())  # no gap after the leading warm-up
        self._first = first
        if self._warm_up_only:
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
        # The values at those indices, a missing one (a bucket of warm-up) as +inf or -inf, so
        # a frame reduces buckets without gathering from the line or looking for nan.
        self._low_values: dict[int, FloatArray] = {}
        self._high_values: dict[int, FloatArray] = {}
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
            self._low_values[level] = _values_at(values, lows, np.inf)
            self._high_values[level] = _values_at(values, highs, -np.inf)
            size = level

    def follow(self, values: FloatArray) -> LineExtremes:
        """The extremes of ``values``, the line recomputed after a live change: when it only
        changed near its end or grew there, every bucket before the change is kept (a new
        candle costs a few buckets a level, not a pass over the line); otherwise built anew."""
        old = self.values
        if values is old:
            return self
        keep = max(len(old) - _RECHECKED, self._first)
        if len(values) < len(old) or not self._same(values, keep):
            return LineExtremes(values)
        tail_new, tail_old = values[keep : len(old)], old[keep : len(old)]
        same = (tail_new == tail_old) | (np.isnan(tail_new) & np.isnan(tail_old))
        changed = keep + int(np.argmin(same)) if not same.all() else len(old)
        return self._extended(values, changed)

    def _same(self, values: FloatArray, keep: int) -> bool:
        """``values`` equal this line's before ``keep`` (a leading warm-up compared as such)."""
        if not self._warm_up_only:
            return bool(np.array_equal(values[:keep], self.values[:keep], equal_nan=True))
        first = min(self._first, keep)
        return bool(np.isnan(values[:first]).all() and np.array_equal(values[first:keep], self.values[first:keep]))

    def _extended(self, values: FloatArray, changed: int) -> LineExtremes:
        """A copy for ``values`` that keeps every bucket ending before index ``changed``."""
        out = LineExtremes.__new__(LineExtremes)
        out.values = values
        out.extent = BlockExtent(values, values, known=self.extent, changed=changed)
        finite = np.isfinite(values[changed:])  # the part that changed or grew
        if self._first < changed:
            out._first = self._first
        else:  # the line had no value before the change
            out._first = changed + (int(np.argmax(finite)) if finite.any() else len(finite))
        out._warm_up_only = self._warm_up_only and bool(finite[out._first - changed :].all())
        out._lows, out._highs, out._low_values, out._high_values = {}, {}, {}, {}
        size = 1
        for level in _LEVELS:
            count = len(values) // level
            if not count:
                break
            start = min(changed // level, len(self._lows.get(level, ())))
            per = level // size
            for known, grown, known_values, grown_values, lowest in (
                (self._lows, out._lows, self._low_values, out._low_values, True),
                (self._highs, out._highs, self._high_values, out._high_values, False),
            ):
                candidates = (
                    np.arange(start * level, count * level) if size == 1 else grown[size][start * per : count * per]
                )
                fresh = _pick(values, candidates, per, lowest)
                fresh_values = _values_at(values, fresh, np.inf if lowest else -np.inf)
                if start:
                    fresh = np.concatenate((known[level][:start], fresh))
                    fresh_values = np.concatenate((known_values[level][:start], fresh_values))
                grown[level], grown_values[level] = fresh, fresh_values
            size = level
        return out

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
        lows, highs = [], []
        if start > i0:
            low, high = _edge(self.values, i0, start)
            lows.append(np.array([low]))
            highs.append(np.array([high]))
        if whole:
            if level == 1:
                candidates_low = candidates_high = np.arange(start, end)
                low_values = _values_at(self.values, candidates_low, np.inf)
                high_values = _values_at(self.values, candidates_high, -np.inf)
            else:
                a, b = start // level, end // level
                candidates_low, candidates_high = self._lows[level][a:b], self._highs[level][a:b]
                low_values, high_values = self._low_values[level][a:b], self._high_values[level][a:b]
            base = np.arange(whole) * per
            lows.append(candidates_low[base + low_values.reshape(whole, per).argmin(axis=1)])
            highs.append(candidates_high[base + high_values.reshape(whole, per).argmax(axis=1)])
        if i1 > end:
            low, high = _edge(self.values, end, i1)
            lows.append(np.array([low]))
            highs.append(np.array([high]))
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


def _values_at(values: FloatArray, indices: IndexArray, missing: float) -> FloatArray:
    """``values[indices]`` with ``missing`` for nan."""
    picked = values[indices]
    if np.isnan(picked).any():
        picked[np.isnan(picked)] = missing
    return picked


def _edge(values: FloatArray, a: int, b: int) -> tuple[int, int]:
    """Indices of the lowest and highest value in ``[a, b)`` (``a`` when none is finite)."""
    segment = values[a:b]
    low, high = int(segment.argmin()), int(segment.argmax())
    if math.isnan(segment[low]) or math.isnan(segment[high]):  # arg-reductions stop at a nan
        finite = np.flatnonzero(~np.isnan(segment))
        if not len(finite):
            return a, a
        low, high = int(finite[segment[finite].argmin()]), int(finite[segment[finite].argmax()])
    return a + low, a + high


def _pick(values: FloatArray, candidates: IndexArray, per: int, lowest: bool) -> IndexArray:
    """Per group of ``per`` candidates, the one with the lowest (or highest) value; ``nan``
    never wins while the group holds a finite value."""
    count = len(candidates) // per
    if not count:
        return np.empty(0, dtype=np.intp)
    gathered = values[candidates[: count * per]]
    gathered = np.where(np.isnan(gathered), np.inf if lowest else -np.inf, gathered)
    return candidates[_group(gathered, None, count, per, lowest)]
