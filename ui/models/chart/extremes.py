"""Where a long column is lowest and highest, over any index range, without scanning it (no Qt).

A chart zoomed out over a million candles must, on every frame, fit its y axis to what is
in view and draw each line through every extreme it has on screen. Both questions are
answered here from extremes computed once per column:

* ``BlockExtent`` keeps each block's lowest and highest value, so the extent of a visible
  range reads a few thousand block values plus the ragged ends instead of every candle.
* ``LineExtremes`` keeps, for buckets of 8, 64, 512, ... values, where each bucket's lowest
  and highest finite value is. A visible range cut into buckets of any size is then
  reduced from the coarsest fitting level, so a decimated line still passes through every
  bucket's minimum and maximum (two points a bucket) at a cost that grows with the
  screen's width, not with the history's length.

Blocks and buckets are aligned to positions, ``index + shift``. A column built afresh has
shift 0; when older values are put before it, its shift goes down by as many, so the
values already there keep their positions, blocks and buckets: a prepend computes the new
values' buckets and those of old values that changed, not the whole column, and the
buckets do not jump under a line on screen. The first block or bucket may reach before
index 0; that part is empty (never an extreme).

``nan`` (an indicator's warm-up, a gap) is never an extreme: a bucket with no finite value
yields the position of a ``nan``, which the drawing turns into a gap.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.intp]

BLOCK = 1024  # values per precomputed extent block
LEVEL_FACTOR = 8  # each decimation level's buckets are this many times the previous level's
_LEVELS = tuple(LEVEL_FACTOR**k for k in range(1, 7))  # 8 .. 262,144 values a bucket


def differences(new: FloatArray, old: FloatArray) -> IndexArray:
    """Ascending indices where two equally long columns differ (``nan`` equals ``nan``)."""
    with np.errstate(invalid="ignore"):
        unequal = np.flatnonzero(new != old)
    if len(unequal):
        both_nan = np.isnan(new[unequal]) & np.isnan(old[unequal])
        if both_nan.any():
            unequal = unequal[~both_nan]
    return unequal


def _spans(n: int, shift: int, size: int) -> tuple[int, int]:
    """The first and the end (exclusive) number of the blocks of ``size`` that hold a column
    of ``n`` values at ``shift``: from the one holding index 0 to the last whole one."""
    return shift // size, (n + shift) // size


def _kept(size: int, shift: int, prepended: int, changed: int | None, kept_from: int, end: int) -> tuple[int, int]:
    """Which blocks (numbers ``[keep_before, redo)``) of ``size`` to compute again after a
    change: from the one holding index ``changed`` on (the same shift), or, after a prepend
    that changed the first ``kept_from`` old values, up to the first one wholly past them."""
    if changed is not None:
        return (changed + shift) // size, end
    return shift // size, min(-(-(shift + prepended + kept_from) // size), end)


class BlockExtent:
    """The lowest of ``low`` and the highest of ``high`` over any ``[i0, i1)``, ignoring ``nan``."""

    def __init__(self, low: FloatArray, high: FloatArray, block: int = BLOCK, *, shift: int = 0) -> None:
        self.low, self.high, self.block, self.shift = low, high, block, shift
        first, end = _spans(len(low), shift, block)
        self._block_low = _block_reduce(low, shift, block, first, end, np.fmin)
        self._block_high = _block_reduce(high, shift, block, first, end, np.fmax)
        self._memo: tuple[int, int, tuple[float, float] | None] | None = None  # autorange asks twice a frame

    def follow(
        self, low: FloatArray, high: FloatArray, *, prepended: int = 0, changed: int | None = None, kept_from: int = 0
    ) -> BlockExtent:
        """The extent of the columns after they changed, reusing every block that did not:
        either ``prepended`` values were put before them and only the first ``kept_from`` of
        the old values changed, or (``changed``) they changed or grew from that index on."""
        out = BlockExtent.__new__(BlockExtent)
        block, shift = self.block, self.shift - prepended
        out.low, out.high, out.block, out.shift, out._memo = low, high, block, shift, None
        first, end = _spans(len(low), shift, block)
        old_first = self.shift // block
        start, stop = _kept(block, shift, prepended, changed, kept_from, end)
        for name, column, reduce in (("_block_low", low, np.fmin), ("_block_high", high, np.fmax)):
            known: FloatArray = getattr(self, name)
            if changed is not None:
                start = min(start, old_first + len(known))
                merged = (known[: start - first], _block_reduce(column, shift, block, start, end, reduce))
            else:
                merged = (_block_reduce(column, shift, block, first, stop, reduce), known[stop - old_first :])
            setattr(out, name, np.concatenate(merged))
        return out

    def extent(self, i0: int, i1: int) -> tuple[float, float] | None:
        """(lowest, highest) over ``[i0, i1)``, or None when it holds no finite value."""
        if self._memo is not None and self._memo[:2] == (i0, i1):
            return self._memo[2]
        i0, i1 = max(i0, 0), min(i1, len(self.low))
        s, block = self.shift, self.block
        first = s // block
        b0, b1 = -(-(i0 + s) // block), min((i1 + s) // block, first + len(self._block_low))
        if b1 <= b0:
            pieces_low, pieces_high = [self.low[i0:i1]], [self.high[i0:i1]]
        else:
            head, tail = slice(i0, b0 * block - s), slice(b1 * block - s, i1)
            pieces_low = [self._block_low[b0 - first : b1 - first], self.low[head], self.low[tail]]
            pieces_high = [self._block_high[b0 - first : b1 - first], self.high[head], self.high[tail]]
        low = min(float(np.fmin.reduce(p, initial=np.inf)) for p in pieces_low)
        high = max(float(np.fmax.reduce(p, initial=-np.inf)) for p in pieces_high)
        extent = (low, high) if low <= high else None
        self._memo = (i0, i1, extent)
        return extent


class LineExtremes:
    """Each aligned bucket's lowest and highest finite value of one line, at every level:
    its position and its value (+inf or -inf for a bucket of nan), so a frame reduces
    buckets without gathering from the line or looking for nan."""

    def __init__(self, values: FloatArray, *, shift: int = 0) -> None:
        self.values, self.shift = values, shift
        self.extent = BlockExtent(values, values, shift=shift)
        self._lows: dict[int, IndexArray] = {}
        self._highs: dict[int, IndexArray] = {}
        self._low_values: dict[int, FloatArray] = {}
        self._high_values: dict[int, FloatArray] = {}
        self._fill(None, 0, None)

    def follow(self, values: FloatArray, *, prepended: int = 0) -> LineExtremes:
        """The extremes of ``values``, this line recomputed: when ``prepended`` values were put
        before it, or it changed or grew at its end, every bucket of the unchanged values is
        kept (the cost is the changed values' buckets, plus one comparison pass that finds
        them); otherwise built anew."""
        old = self.values
        if values is old and not prepended:
            return self
        if prepended:
            if len(values) != prepended + len(old):
                return LineExtremes(values, shift=self.shift - prepended)
            changed = differences(values[prepended:], old)
            return self._followed(values, prepended=prepended, kept_from=int(changed[-1]) + 1 if len(changed) else 0)
        if len(values) < len(old):
            return LineExtremes(values, shift=self.shift)
        changed = differences(values[: len(old)], old)
        return self._followed(values, changed=int(changed[0]) if len(changed) else len(old))

    def _followed(
        self, values: FloatArray, *, prepended: int = 0, kept_from: int = 0, changed: int | None = None
    ) -> LineExtremes:
        out = LineExtremes.__new__(LineExtremes)
        out.values, out.shift = values, self.shift - prepended
        out.extent = self.extent.follow(values, values, prepended=prepended, changed=changed, kept_from=kept_from)
        out._lows, out._highs, out._low_values, out._high_values = {}, {}, {}, {}
        out._fill(self, prepended, changed, kept_from)
        return out

    def _fill(self, known: LineExtremes | None, prepended: int, changed: int | None, kept_from: int = 0) -> None:
        """Every level's buckets: all computed (``known`` None), or those of ``known`` kept
        before ``changed`` (same shift) or past its first ``kept_from`` values after a
        prepend of ``prepended``, the rest computed."""
        values, shift = self.values, self.shift
        for level in _LEVELS:
            if level > len(values):
                break
            first, end = _spans(len(values), shift, level)
            if known is None or level not in known._lows:
                start, stop = first, end
            else:
                start, stop = _kept(level, shift, prepended, changed, kept_from, end)
                if changed is not None:
                    start = min(start, known.shift // level + len(known._lows[level]))
            fresh = self._buckets(level, start, stop)
            for lowest, (positions, extremes) in zip((True, False), fresh, strict=True):
                if known is not None and level in known._lows:
                    old_positions, old_extremes = known._level(level, lowest)
                    old_first = known.shift // level
                    if changed is not None:
                        positions = np.concatenate((old_positions[: start - first], positions))
                        extremes = np.concatenate((old_extremes[: start - first], extremes))
                    else:
                        positions = np.concatenate((positions, old_positions[stop - old_first :]))
                        extremes = np.concatenate((extremes, old_extremes[stop - old_first :]))
                (self._lows if lowest else self._highs)[level] = positions
                (self._low_values if lowest else self._high_values)[level] = extremes

    def _level(self, level: int, lowest: bool) -> tuple[IndexArray, FloatArray]:
        """Positions and values of one level's lowest (or highest) per bucket."""
        if lowest:
            return self._lows[level], self._low_values[level]
        return self._highs[level], self._high_values[level]

    def _buckets(self, level: int, j0: int, j1: int) -> tuple[tuple[IndexArray, FloatArray], ...]:
        """(positions, values) of the lowest and of the highest of buckets number ``[j0, j1)``
        at ``level``, from the values (the finest level) or the level below (already filled)."""
        shift, per = self.shift, LEVEL_FACTOR
        if level == _LEVELS[0]:
            return tuple(self._finest(j0, j1, lowest) for lowest in (True, False))
        out = []
        finer = level // per
        for lowest in (True, False):
            missing = np.inf if lowest else -np.inf
            finer_positions, finer_values = self._level(finer, lowest)
            r0, r1 = j0 * per - shift // finer, j1 * per - shift // finer  # entries of the finer level
            source, candidates = finer_values[max(r0, 0) : r1], finer_positions[max(r0, 0) : r1]
            if r0 < 0 and j1 > j0:  # the first bucket reaches before index 0: that part is empty
                source = np.concatenate((np.full(-r0, missing), source))
                candidates = np.concatenate((np.full(-r0, -1, dtype=np.intp), candidates))
            rows = source.reshape(max(j1 - j0, 0), per)
            picked = np.arange(len(rows)) * per + (rows.argmin(axis=1) if lowest else rows.argmax(axis=1))
            out.append((candidates[picked], source[picked]))
        return tuple(out)

    def _finest(self, j0: int, j1: int, lowest: bool) -> tuple[IndexArray, FloatArray]:
        """(positions, values) of the lowest (or highest) of the finest buckets ``[j0, j1)``,
        read from the line itself without copying it: an arg-reduction stops at a ``nan``, so
        only the few buckets holding one are reduced again with it replaced."""
        level, shift = _LEVELS[0], self.shift
        missing = np.inf if lowest else -np.inf
        if j1 <= j0:
            return np.empty(0, dtype=np.intp), np.empty(0)
        r0 = j0 * level - shift
        if r0 < 0:  # the first bucket reaches before index 0: that part is empty
            head = np.concatenate((np.full(-r0, missing), self.values[: r0 + level]))
            head = np.where(np.isnan(head), missing, head)
            at = int(head.argmin() if lowest else head.argmax())
            rest = self._finest(j0 + 1, j1, lowest)
            return np.concatenate(([j0 * level + at], rest[0])), np.concatenate(([head[at]], rest[1]))
        rows = self.values[r0 : j1 * level - shift].reshape(j1 - j0, level)
        picked = np.arange(j1 - j0) * level + (rows.argmin(axis=1) if lowest else rows.argmax(axis=1))
        extremes = rows.reshape(-1)[picked]
        with_nan = np.flatnonzero(np.isnan(extremes))
        if len(with_nan):
            redo = rows[with_nan]
            redo = np.where(np.isnan(redo), missing, redo)
            picked[with_nan] = with_nan * level + (redo.argmin(axis=1) if lowest else redo.argmax(axis=1))
            extremes[with_nan] = redo.reshape(-1)[picked[with_nan] - with_nan * level + np.arange(len(with_nan)) * level]
        return picked + j0 * level, extremes

    def points(self, i0: int, i1: int, bucket: int) -> IndexArray:
        """Ascending indices to draw for ``[i0, i1)`` cut into buckets of at least ``bucket``
        values: each bucket's lowest and highest, and always the range's last index.

        Whole buckets are aligned (they stay put while the view pans and when older values
        arrive); the ragged buckets at either edge are reduced from the values themselves,
        so nothing in the range is left out."""
        n = len(self.values)
        i0, i1 = max(i0, 0), min(i1, n)
        if i1 <= i0:
            return np.empty(0, dtype=np.intp)
        if bucket <= 1:
            return np.arange(i0, i1)
        s = self.shift
        level = max((size for size in self._lows if size <= bucket), default=1)
        first = s // level
        bucket = -(-bucket // level) * level
        start = min(-(-(i0 + s) // bucket) * bucket, i1 + s)  # in aligned positions (index + shift)
        whole = (i1 + s - start) // bucket
        end = start + whole * bucket
        per = bucket // level
        lows, highs = [], []
        if start - s > i0:
            low, high = _edge(self.values, i0, start - s)
            lows.append(np.array([low]))
            highs.append(np.array([high]))
        if whole:
            if level == 1:
                candidates_low = candidates_high = np.arange(start, end)
                low_values = _values_at(self.values, candidates_low - s, np.inf)
                high_values = _values_at(self.values, candidates_high - s, -np.inf)
            else:
                a, b = start // level - first, end // level - first
                candidates_low, candidates_high = self._lows[level][a:b], self._highs[level][a:b]
                low_values, high_values = self._low_values[level][a:b], self._high_values[level][a:b]
            base = np.arange(whole) * per
            lows.append(candidates_low[base + low_values.reshape(whole, per).argmin(axis=1)] - s)
            highs.append(candidates_high[base + high_values.reshape(whole, per).argmax(axis=1)] - s)
        if i1 > end - s:
            low, high = _edge(self.values, end - s, i1)
            lows.append(np.array([low]))
            highs.append(np.array([high]))
        low, high = np.concatenate(lows), np.concatenate(highs)
        pairs = np.empty(2 * len(low), dtype=np.intp)
        pairs[0::2] = np.minimum(low, high)
        pairs[1::2] = np.maximum(low, high)
        if not len(pairs) or pairs[-1] != i1 - 1:
            pairs = np.append(pairs, i1 - 1)
        return pairs


def _block_reduce(column: FloatArray, shift: int, block: int, j0: int, j1: int, reduce: np.ufunc) -> FloatArray:
    """``reduce`` (``fmin`` or ``fmax``) over each of blocks number ``[j0, j1)``; the part of
    the first block before index 0 holds nothing."""
    if j1 <= j0:
        return np.empty(0)
    r0, r1 = j0 * block - shift, j1 * block - shift
    segment = column[max(r0, 0) : r1]
    if r0 < 0:
        segment = np.concatenate((np.full(-r0, np.nan), segment))
    with np.errstate(invalid="ignore"):
        return reduce.reduce(segment.reshape(-1, block), axis=1)


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


PYRAMID_LEVELS = (64, 512, 4_096, 32_768)  # values a block at each level of a ``ColumnPyramid``


def pyramid_level(bucket: int, length: int) -> int:
    """The ``ColumnPyramid`` level that buckets of ``bucket`` values over a column of ``length``
    are reduced from: the largest holding at most an eighth of a bucket, so rounding the
    bucket up to a whole number of its blocks makes it at most 12.5% wider; 1 (the values
    themselves) when the buckets are too narrow for any level."""
    return max((level for level in PYRAMID_LEVELS if 8 * level <= bucket and level <= length), default=1)


class ColumnPyramid:
    """A column reduced (``np.maximum`` or ``np.minimum``) over aligned blocks of 64, 512, 4,096
    and 32,768 values, so a zoomed-out view's buckets of a million candles are reduced from a
    few thousand block values instead of every candle, with the same result."""

    def __init__(self, column: FloatArray, reduce: np.ufunc) -> None:
        self.column, self.reduce = column, reduce
        self._levels: dict[int, FloatArray] = {}
        finer, size = column, 1
        for level in PYRAMID_LEVELS:
            count = len(column) // level
            if not count:
                break
            per = level // size
            # reduceat: a reduction along short rows costs several times more per value
            finer = reduce.reduceat(finer[: count * per], np.arange(0, count * per, per))
            self._levels[level], size = finer, level

    def buckets(self, i0: int, i1: int, bucket: int) -> FloatArray:
        """The column reduced over ``[s, min(s + bucket, i1))`` for each ``s`` in
        ``range(i0, i1, bucket)``, exactly as ``reduce.reduceat`` over the values would."""
        level = pyramid_level(bucket, len(self.column))
        if level == 1 or i0 % level or bucket % level:
            return self.reduce.reduceat(self.column[i0:i1], np.arange(0, i1 - i0, bucket))
        whole = i1 // level  # blocks wholly before i1
        blocks = self._levels[level][i0 // level : whole]
        out = self.reduce.reduceat(blocks, np.arange(0, len(blocks), bucket // level)) if len(blocks) else np.empty(0)
        start = whole * level  # the values after the last whole block
        if start < i1:
            rest = self.reduce.reduce(self.column[start:i1])
            k = (start - i0) // bucket
            if k < len(out):
                out[k] = self.reduce(out[k], rest)
            else:
                out = np.append(out, rest)
        return out
