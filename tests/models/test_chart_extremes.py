"""Range extremes and decimation of long lines: what a zoomed-out chart draws must still reach
every bucket's lowest and highest value, with an indicator's warm-up left as a gap."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from ui.models.chart.extremes import (
    LEVEL_FACTOR,
    BlockExtent,
    ColumnPyramid,
    LineExtremes,
    pyramid_level,
)


def _line(n: int, warm_up: int = 49, seed: int = 7) -> np.ndarray:
    values = np.cumsum(np.random.default_rng(seed).normal(size=n))
    values[:warm_up] = np.nan
    return values


def _expected_buckets(values: np.ndarray, i0: int, i1: int, bucket: int) -> list[tuple[int, int]]:
    """The documented rule, written out: a bucket of ``bucket`` values rounded up to a whole
    number of the largest level not above it, whole buckets aligned to global indices inside
    the range, the ragged ends as buckets of their own."""
    levels = [LEVEL_FACTOR**k for k in range(1, 7) if LEVEL_FACTOR**k <= min(bucket, len(values))]
    level = levels[-1] if levels else 1
    size = math.ceil(bucket / level) * level
    start = min(-(-i0 // size) * size, i1)
    edges = [i0, *range(start, i1, size), i1]
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


@pytest.mark.parametrize(
    ("i0", "i1", "bucket"),
    [(0, 200_003, 900), (0, 200_003, 7), (48, 5_000, 3), (10, 150_000, 63), (12_345, 190_001, 64),
     (0, 70, 5), (199_000, 200_003, 17), (3, 200_003, 2_000)],
)
def test_each_bucket_is_drawn_through_its_lowest_and_highest_value(i0: int, i1: int, bucket: int) -> None:
    values = _line(200_003)
    points = LineExtremes(values).points(i0, i1, bucket)
    assert np.all(np.diff(points) >= 0) and points[0] >= i0 and points[-1] == i1 - 1
    for a, b in _expected_buckets(values, i0, i1, bucket):
        inside = points[(points >= a) & (points < b)]
        window = values[a:b]
        if np.isnan(window).all():
            assert np.isnan(values[inside]).all()  # nothing to draw: a gap
            continue
        drawn = values[inside]
        assert np.nanmin(drawn) == np.nanmin(window) and np.nanmax(drawn) == np.nanmax(window)
        assert len(inside) <= 3  # two a bucket (and the range's last index)


def test_a_zoomed_out_line_keeps_a_one_candle_spike_and_stays_screen_sized() -> None:
    values = _line(1_000_003, warm_up=20)
    values[654_321] = 1e6
    values[123_457] = -1e6
    points = LineExtremes(values).points(0, len(values), 500)
    assert 654_321 in points and 123_457 in points
    assert len(points) <= 2 * math.ceil(len(values) / 500) + 3


def test_interior_gaps_stay_gaps_and_are_never_an_extreme() -> None:
    values = _line(50_000, warm_up=0)
    values[10_000:10_100] = np.nan  # a hole in the middle
    values[30_000] = np.nan
    extremes = LineExtremes(values)
    points = extremes.points(0, len(values), 64)
    for a in range(0, len(values), 64):
        window = values[a : a + 64]
        drawn = values[points[(points >= a) & (points < a + 64)]]
        if np.isfinite(window).any():
            assert np.nanmin(drawn) == np.nanmin(window) and np.nanmax(drawn) == np.nanmax(window)
    assert extremes.extent.extent(9_990, 10_200) == (np.nanmin(values[9_990:10_200]), np.nanmax(values[9_990:10_200]))


def test_up_close_every_value_is_drawn() -> None:
    values = _line(1_000)
    assert list(LineExtremes(values).points(100, 300, 1)) == list(range(100, 300))


def test_the_extent_of_any_range_equals_a_scan_ignoring_the_warm_up() -> None:
    values = _line(100_000, warm_up=1_500)
    extent = BlockExtent(values, values)
    for i0, i1 in ((0, 100_000), (1_499, 1_501), (3, 70_000), (2_047, 2_049), (5_000, 99_999)):
        assert extent.extent(i0, i1) == (np.nanmin(values[i0:i1]), np.nanmax(values[i0:i1]))
    assert extent.extent(0, 1_000) is None  # only warm-up: nothing to fit


def test_a_line_without_any_value_draws_nothing() -> None:
    values = np.full(10_000, np.nan)
    extremes = LineExtremes(values)
    assert np.isnan(values[extremes.points(0, 10_000, 100)]).all()
    assert extremes.extent.extent(0, 10_000) is None


@pytest.mark.parametrize(
    "change",
    ["last value moves", "a candle opens", "a candle closes and one opens", "nothing", "older values change",
     "a gap appears at the end", "the first value after the warm-up arrives"],
)
def test_a_live_change_keeps_the_buckets_before_it_and_equals_a_fresh_build(change: str) -> None:
    """The line recomputed as the live candle moves: ``follow`` reuses every bucket before the
    change and ends up exactly where a build from scratch does."""
    n = 70_001
    before = _line(n, warm_up=100 if change != "the first value after the warm-up arrives" else n)
    after = before.copy()
    if change == "last value moves":
        after[-1] += 5.0
    elif change == "a candle opens":
        after = np.append(after, after[-1] - 40.0)
    elif change == "a candle closes and one opens":
        after[-1] = after.max() + 1.0
        after = np.append(after, after.min() - 1.0)
    elif change == "older values change":
        after[1_000] += 1.0
    elif change == "a gap appears at the end":
        after = np.append(after, [np.nan, 3.0])
    elif change == "the first value after the warm-up arrives":
        after = np.append(after, 7.0)
    known = LineExtremes(before)
    followed, fresh = known.follow(after), LineExtremes(after)
    for level in fresh._lows:
        np.testing.assert_array_equal(followed._lows[level], fresh._lows[level])
        np.testing.assert_array_equal(followed._highs[level], fresh._highs[level])
    for i0, i1, bucket in ((0, len(after), 700), (60_000, len(after), 9), (0, len(after), 70_000)):
        np.testing.assert_array_equal(followed.points(i0, i1, bucket), fresh.points(i0, i1, bucket))
        assert followed.extent.extent(i0, i1) == fresh.extent.extent(i0, i1)


def _assert_same_extremes(followed: LineExtremes, fresh: LineExtremes) -> None:
    assert followed.shift == fresh.shift
    assert sorted(followed._lows) == sorted(fresh._lows)
    for level in fresh._lows:
        np.testing.assert_array_equal(followed._lows[level], fresh._lows[level])
        np.testing.assert_array_equal(followed._highs[level], fresh._highs[level])
        np.testing.assert_array_equal(followed._low_values[level], fresh._low_values[level])
        np.testing.assert_array_equal(followed._high_values[level], fresh._high_values[level])
    np.testing.assert_array_equal(followed.extent._block_low, fresh.extent._block_low)
    np.testing.assert_array_equal(followed.extent._block_high, fresh.extent._block_high)


def _older(line: np.ndarray, added: int, recomputed: int, seed: int) -> np.ndarray:
    """``line`` after ``added`` older values arrived and the first ``recomputed`` old values
    changed (an indicator's warm-up computed again over the longer history)."""
    rng = np.random.default_rng(seed)
    grown = np.concatenate((np.cumsum(rng.normal(size=added)), line))
    grown[: min(20, added)] = np.nan  # the new warm-up
    grown[added : added + recomputed] = np.cumsum(rng.normal(size=recomputed)) * 3.0
    return grown


@pytest.mark.parametrize(
    ("n", "added", "recomputed"),
    [(200_003, 1_000, 1_049), (200_003, 1_000, 0), (70_001, 5, 3), (70_001, 262_143, 40), (300, 9, 60),
     (5, 1_000, 2), (300_000, 1, 299_999)],
)
def test_older_values_keep_every_bucket_past_the_change_and_equal_a_fresh_build(
    n: int, added: int, recomputed: int
) -> None:
    """History loading before a line: ``follow`` keeps the buckets of the old values that did
    not change (shifted by the prepend) and ends up exactly where a build from scratch with
    the same alignment does."""
    before = _line(n, warm_up=min(49, n))
    after = _older(before, added, recomputed, seed=n + added)
    known = LineExtremes(before)
    followed = known.follow(after, prepended=added)
    assert followed.shift == -added  # the old values keep their positions
    _assert_same_extremes(followed, LineExtremes(after, shift=followed.shift))


def test_repeated_older_batches_and_live_changes_match_a_fresh_build() -> None:
    """Batches of older history and live candles, one after another, the shift going far
    below the coarsest bucket: every step equals a fresh build with the same alignment."""
    line = _line(150_000)
    extremes = LineExtremes(line)
    rng = np.random.default_rng(3)
    for step in range(12):
        if step % 3 == 2:  # the live candle moves and a new one opens
            line = np.append(line, line[-1] + rng.normal(size=2))
            line[-3] += 1.0
            extremes = extremes.follow(line)
        else:
            added = int(rng.integers(1, 90_000))
            line = _older(line, added, int(rng.integers(0, 3_000)), seed=step)
            extremes = extremes.follow(line, prepended=added)
        _assert_same_extremes(extremes, LineExtremes(line, shift=extremes.shift))
        assert extremes.extent.extent(0, len(line)) == (np.nanmin(line), np.nanmax(line))


@pytest.mark.parametrize("shift", [1, 7, 1_000, 262_143, -1_000, -262_145])
def test_a_shifted_line_draws_each_aligned_bucket_through_its_lowest_and_highest(shift: int) -> None:
    values = _line(200_003)
    extremes = LineExtremes(values, shift=shift)
    for i0, i1, bucket in ((0, 200_003, 900), (48, 5_000, 3), (12_345, 190_001, 64), (3, 200_003, 2_000)):
        points = extremes.points(i0, i1, bucket)
        assert np.all(np.diff(points) >= 0) and points[0] >= i0 and points[-1] == i1 - 1
        shifted = [(a - shift, b - shift) for a, b in _expected_buckets(values, i0 + shift, i1 + shift, bucket)]
        for a, b in shifted:
            inside, window = points[(points >= a) & (points < b)], values[a:b]
            if np.isnan(window).all():
                assert np.isnan(values[inside]).all()
                continue
            assert np.nanmin(values[inside]) == np.nanmin(window) and np.nanmax(values[inside]) == np.nanmax(window)
            assert len(inside) <= 3
    assert extremes.extent.extent(0, 3) is None  # warm-up only
    for i0, i1 in ((0, 200_003), (1_000, 1_030), (5, 150_001), (60_000, 60_001)):
        assert extremes.extent.extent(i0, i1) == (np.nanmin(values[i0:i1]), np.nanmax(values[i0:i1]))


def test_a_prepend_that_does_not_fit_the_old_line_is_built_anew() -> None:
    before = _line(10_000)
    after = np.concatenate((np.ones(100), before[:-50]))  # not the old line behind 100 new values
    followed = LineExtremes(before).follow(after, prepended=100)
    _assert_same_extremes(followed, LineExtremes(after, shift=followed.shift))


@pytest.mark.parametrize("reduce", [np.maximum, np.minimum])
@pytest.mark.parametrize(
    ("i0", "i1", "bucket"),
    [(0, 1_000_003, 1_856), (0, 1_000_003, 512), (512, 700_001, 4_096 * 9), (33_280, 999_999, 520),
     (0, 262_144, 32_768 * 8), (1_024, 1_088, 512), (64, 100_000, 100), (7, 500_000, 1_856), (0, 63, 512)],
)
def test_pyramid_buckets_equal_a_reduction_over_every_value(reduce: np.ufunc, i0: int, i1: int, bucket: int) -> None:
    """Wide candle buckets read from the pyramid's blocks are exactly the plain reduction of
    every candle in them (the last bucket cut at the range's end), whatever level serves."""
    column = np.random.default_rng(11).normal(size=1_000_003).cumsum()
    expected = reduce.reduceat(column[i0:i1], np.arange(0, i1 - i0, bucket))
    np.testing.assert_array_equal(ColumnPyramid(column, reduce).buckets(i0, i1, bucket), expected)


def test_the_pyramid_level_widens_a_bucket_by_at_most_an_eighth() -> None:
    for bucket in range(2, 300_000, 37):
        level = pyramid_level(bucket, 1_000_000)
        assert level == 1 or bucket >= 8 * level
        assert -(-bucket // level) * level <= bucket * 1.125
    assert pyramid_level(600, 60) == 1  # a column shorter than a block: the values themselves
