"""The planner's pure arithmetic: aligned ranges, backwards-anchored pages, range subtraction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from backbone.coordinator.planner import history_floor, split_pages, subtract
from backbone.domain.candle_range import count_end, live_end, range_slots
from backbone.domain.timeframes import TIMEFRAMES
from backbone.router.endpoints import MAX_CANDLE_COUNT as PAGE_SIZE

M1 = TIMEFRAMES["1m"]
NOW = datetime(2025, 6, 24, 4, 56, 53, tzinfo=UTC)


def at(minute: int) -> datetime:
    return datetime(2025, 6, 24, tzinfo=UTC) + timedelta(minutes=minute)


def test_live_end_includes_the_forming_candle() -> None:
    assert live_end(M1, NOW) == datetime(2025, 6, 24, 4, 57, tzinfo=UTC)


def test_range_slots_take_every_candle_starting_inside_the_range() -> None:
    start = datetime(2025, 6, 24, 1, 0, 30, tzinfo=UTC)
    end = datetime(2025, 6, 24, 2, 0, 1, tzinfo=UTC)
    assert range_slots(M1, start, end, NOW) == (at(61), at(121))


def test_range_slots_clip_at_the_forming_candle_and_default_to_now() -> None:
    start = at(0)
    assert range_slots(M1, start, None, NOW) == (at(0), live_end(M1, NOW))
    assert range_slots(M1, start, NOW + timedelta(days=1), NOW)[1] == live_end(M1, NOW)


def test_count_end_is_exclusive_and_clipped() -> None:
    assert count_end(M1, None, NOW) == live_end(M1, NOW)
    assert count_end(M1, at(100), NOW) == at(100)
    assert count_end(M1, at(100) + timedelta(seconds=1), NOW) == at(101)


def test_a_thousand_slots_ending_anywhere_take_five_pages() -> None:
    end = at(317)
    pages = split_pages(M1, M1.shift(end, -1000), end)
    assert len(pages) == 5
    assert all(p.slots == PAGE_SIZE for p in pages)
    assert pages[-1].end == end
    assert [p.start for p in pages[1:]] == [p.end for p in pages[:-1]]


def test_only_the_oldest_page_is_short() -> None:
    pages = split_pages(M1, at(0), at(450))
    assert [p.slots for p in pages] == [50, 200, 200]
    assert pages[0].start == at(0)


def test_empty_range_has_no_pages() -> None:
    assert split_pages(M1, at(5), at(5)) == []


def test_calendar_timeframes_page_by_months() -> None:
    months = TIMEFRAMES["1M"]
    start = datetime(2000, 1, 1, tzinfo=UTC)
    end = datetime(2025, 1, 1, tzinfo=UTC)
    pages = split_pages(months, start, end)
    assert sum(p.slots for p in pages) == 300
    assert pages[-1].start == datetime(2008, 5, 1, tzinfo=UTC)


@given(
    st.integers(min_value=0, max_value=5000),
    st.integers(min_value=0, max_value=5000),
    st.integers(min_value=1, max_value=300),
)
def test_pages_tile_the_range_exactly(a: int, length: int, size: int) -> None:
    start, end = at(a), at(a + length)
    pages = split_pages(M1, start, end, size)
    assert sum(p.slots for p in pages) == length
    assert all(1 <= p.slots <= size for p in pages)
    if pages:
        assert pages[0].start == start and pages[-1].end == end
        assert all(x.end == y.start for x, y in pairwise(pages))


def test_subtract_cuts_holes_out_of_ranges() -> None:
    ranges = [(at(0), at(10)), (at(20), at(30))]
    holes = [(at(5), at(25)), (at(28), at(29))]
    assert subtract(ranges, holes) == [(at(0), at(5)), (at(25), at(28)), (at(29), at(30))]


def test_subtract_ignores_empty_and_disjoint_holes() -> None:
    ranges = [(at(0), at(10))]
    assert subtract(ranges, [(at(3), at(3)), (at(10), at(20))]) == ranges
    assert subtract(ranges, [(at(0), at(10))]) == []


@given(st.lists(st.tuples(st.integers(0, 100), st.integers(0, 100)), max_size=6))
def test_subtract_leaves_nothing_inside_a_hole(holes: list[tuple[int, int]]) -> None:
    spans = [(at(a), at(b)) for a, b in holes]
    left = subtract([(at(0), at(100))], spans)
    for minute in range(100):
        inside_hole = any(a <= minute < b for a, b in holes)
        inside_left = any(x <= at(minute) < y for x, y in left)
        assert inside_left != inside_hole


def test_history_floor_is_aligned() -> None:
    for tf in TIMEFRAMES.values():
        floor = history_floor(tf)
        assert tf.floor(floor) == floor
