"""Interval arithmetic behind coverage: hand-picked edge cases and a brute-force model."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backbone.storage.coverage import absorb, intersect, normalise, subtract


def as_set(intervals: list[tuple[int, int]]) -> set[int]:
    return {point for start, end in intervals for point in range(start, end)}


def brute_gaps(covered: set[int], start: int, end: int) -> list[tuple[int, int]]:
    gaps: list[tuple[int, int]] = []
    for point in range(start, end):
        if point in covered:
            continue
        if gaps and gaps[-1][1] == point:
            gaps[-1] = (gaps[-1][0], point + 1)
        else:
            gaps.append((point, point + 1))
    return gaps


@pytest.mark.parametrize(
    ("intervals", "expected"),
    [
        ([], []),
        ([(3, 3)], []),  # empty ranges vanish
        ([(0, 2), (2, 4)], [(0, 4)]),  # adjacent ranges merge
        ([(0, 5), (3, 8)], [(0, 8)]),  # overlapping
        ([(0, 10), (2, 3)], [(0, 10)]),  # contained
        ([(5, 6), (0, 1)], [(0, 1), (5, 6)]),  # unsorted input, disjoint output
        ([(0, 1), (2, 3)], [(0, 1), (2, 3)]),  # a one-unit hole stays
    ],
)
def test_normalise_merges_adjacent_overlapping_and_contained_ranges(
    intervals: list[tuple[int, int]], expected: list[tuple[int, int]]
) -> None:
    assert normalise(intervals) == expected


@pytest.mark.parametrize(
    ("covered", "start", "end", "expected"),
    [
        ([], 0, 10, [(0, 10)]),  # nothing covered
        ([(0, 10)], 0, 10, []),  # exactly covered
        ([(0, 10)], 2, 5, []),  # query inside coverage
        ([(2, 5)], 0, 10, [(0, 2), (5, 10)]),  # coverage inside query
        ([(0, 5)], 5, 10, [(5, 10)]),  # coverage ends where the query starts
        ([(10, 20)], 0, 10, [(0, 10)]),  # coverage starts where the query ends
        ([(0, 3), (3, 6)], 0, 6, []),  # adjacent pieces (as if not yet merged)
        ([(0, 2), (4, 6), (8, 9)], 1, 9, [(2, 4), (6, 8)]),
        ([(0, 10)], 4, 4, []),  # empty query
    ],
)
def test_subtract_returns_the_uncovered_parts_in_order(
    covered: list[tuple[int, int]], start: int, end: int, expected: list[tuple[int, int]]
) -> None:
    assert subtract(covered, start, end) == expected


def test_absorb_unites_every_touching_range() -> None:
    assert absorb((5, 7), [(0, 5), (6, 9)]) == (0, 9)
    assert absorb((5, 7), []) == (5, 7)
    with pytest.raises(ValueError, match="neither overlaps nor touches"):
        absorb((5, 7), [(8, 9)])


def test_intersect_clips_to_the_window() -> None:
    assert intersect([(0, 3), (5, 9)], 2, 6) == [(2, 3), (5, 6)]


ranges = st.lists(
    st.tuples(st.integers(0, 60), st.integers(0, 12)).map(lambda p: (p[0], p[0] + p[1])),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(intervals=ranges)
def test_normalise_matches_the_set_model(intervals: list[tuple[int, int]]) -> None:
    merged = normalise(intervals)
    assert as_set(merged) == as_set(intervals)
    for (_, end), (start, _) in pairwise(merged):
        assert end < start  # disjoint and not touching, ascending


@settings(max_examples=300, deadline=None)
@given(intervals=ranges, start=st.integers(0, 80), length=st.integers(0, 80))
def test_subtract_matches_the_set_model(
    intervals: list[tuple[int, int]], start: int, length: int
) -> None:
    end = start + length
    assert subtract(normalise(intervals), start, end) == brute_gaps(as_set(intervals), start, end)


@settings(max_examples=200, deadline=None)
@given(intervals=ranges, new=st.tuples(st.integers(0, 60), st.integers(1, 12)))
def test_absorbing_touching_ranges_equals_normalising_the_union(
    intervals: list[tuple[int, int]], new: tuple[int, int]
) -> None:
    existing = normalise(intervals)
    span = (new[0], new[0] + new[1])
    touching = [r for r in existing if r[0] <= span[1] and r[1] >= span[0]]
    others = [r for r in existing if r not in touching]
    assert sorted([*others, absorb(span, touching)]) == normalise([*existing, span])
