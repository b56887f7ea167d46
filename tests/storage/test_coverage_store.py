"""Coverage in the store: merging, missing() on edge cases and units, the forming candle."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backbone.domain.timeframes import parse_timeframe
from backbone.storage import MarketStore
from tests.storage.conftest import MINUTE, T0, fixed_clock, make_candles, minutes


def at(n: int) -> datetime:
    return T0 + minutes(n)


async def cover(store: MarketStore, lo: int, hi: int, market: str = "KRW-BTC") -> None:
    """Mark minutes [lo, hi) complete, storing a candle for every other minute."""
    candles = make_candles(range(lo, hi, 2), market=market)
    await store.write_candles(market, MINUTE, candles, covered=(at(lo), at(hi)))


async def test_nothing_covered_means_the_whole_aligned_range_is_missing(store: MarketStore) -> None:
    assert await store.missing("KRW-BTC", MINUTE, at(0), at(100)) == [(at(0), at(100))]
    assert await store.missing("KRW-BTC", MINUTE, at(5), at(5)) == []


async def test_adjacent_writes_merge_into_one_range(store: MarketStore) -> None:
    await cover(store, 0, 10)
    await cover(store, 10, 20)
    assert await store.covered_ranges("KRW-BTC", MINUTE) == [(at(0), at(20))]
    assert await store.missing("KRW-BTC", MINUTE, at(0), at(20)) == []


async def test_overlapping_and_contained_writes_merge(store: MarketStore) -> None:
    await cover(store, 0, 10)
    await cover(store, 5, 15)  # overlapping
    await cover(store, 2, 4)  # contained
    await cover(store, 30, 40)
    await cover(store, 20, 50)  # swallows a range
    assert await store.covered_ranges("KRW-BTC", MINUTE) == [(at(0), at(15)), (at(20), at(50))]


async def test_missing_reports_holes_and_both_ends(store: MarketStore) -> None:
    await cover(store, 10, 20)
    await cover(store, 30, 40)
    assert await store.missing("KRW-BTC", MINUTE, at(0), at(50)) == [
        (at(0), at(10)),
        (at(20), at(30)),
        (at(40), at(50)),
    ]
    assert await store.missing("KRW-BTC", MINUTE, at(12), at(18)) == []
    assert await store.missing("KRW-BTC", MINUTE, at(15), at(35)) == [(at(20), at(30))]


async def test_minutes_without_trades_inside_coverage_are_not_missing(store: MarketStore) -> None:
    await store.write_candles("KRW-BTC", MINUTE, make_candles([0, 7]), covered=(at(0), at(10)))
    assert len(await store.read_candles("KRW-BTC", MINUTE, at(0), at(10))) == 2
    assert await store.missing("KRW-BTC", MINUTE, at(0), at(10)) == []


async def test_coverage_alone_can_be_recorded_for_a_range_with_no_trades(
    store: MarketStore,
) -> None:
    await store.write_candles("KRW-BTC", MINUTE, [], covered=(at(0), at(60)))
    assert await store.missing("KRW-BTC", MINUTE, at(0), at(60)) == []


async def test_unaligned_bounds_are_aligned_to_the_candle_starts_they_contain(
    store: MarketStore,
) -> None:
    half = timedelta(seconds=30)
    # covered (0:30, 5:30) holds starts 1..5: candle 0 started before it.
    await store.write_candles("KRW-BTC", MINUTE, [], covered=(at(0) + half, at(5) + half))
    assert await store.covered_ranges("KRW-BTC", MINUTE) == [(at(1), at(6))]
    assert await store.missing("KRW-BTC", MINUTE, at(0) + half, at(8) + half) == [(at(6), at(9))]


@pytest.mark.parametrize(
    ("code", "start", "end", "covered", "expected"),
    [
        # months: ragged lengths and a year boundary
        (
            "1M",
            (2023, 11, 1),
            (2024, 4, 1),
            ((2024, 1, 1), (2024, 3, 1)),
            [((2023, 11, 1), (2024, 1, 1)), ((2024, 3, 1), (2024, 4, 1))],
        ),
        (
            "1M",
            (2024, 1, 15),
            (2024, 3, 15),
            ((2024, 2, 1), (2024, 3, 1)),
            [((2024, 3, 1), (2024, 4, 1))],
        ),
        # years
        (
            "1y",
            (2020, 1, 1),
            (2025, 1, 1),
            ((2021, 1, 1), (2023, 1, 1)),
            [((2020, 1, 1), (2021, 1, 1)), ((2023, 1, 1), (2025, 1, 1))],
        ),
        # weeks start on Monday (2024-01-01 is a Monday)
        (
            "1w",
            (2024, 1, 3),
            (2024, 2, 1),
            ((2024, 1, 8), (2024, 1, 22)),
            [((2024, 1, 22), (2024, 2, 5))],
        ),
        # days across a leap day
        (
            "1d",
            (2024, 2, 27),
            (2024, 3, 3),
            ((2024, 2, 28), (2024, 3, 1)),
            [((2024, 2, 27), (2024, 2, 28)), ((2024, 3, 1), (2024, 3, 3))],
        ),
        # four-hour candles align to the epoch (00, 04, 08 ... UTC)
        (
            "240m",
            (2024, 1, 1),
            (2024, 1, 2),
            ((2024, 1, 1, 4), (2024, 1, 1, 12)),
            [((2024, 1, 1), (2024, 1, 1, 4)), ((2024, 1, 1, 12), (2024, 1, 2))],
        ),
    ],
)
async def test_missing_respects_unit_boundaries(
    store: MarketStore,
    code: str,
    start: tuple[int, ...],
    end: tuple[int, ...],
    covered: tuple[tuple[int, ...], tuple[int, ...]],
    expected: list[tuple[tuple[int, ...], tuple[int, ...]]],
) -> None:
    tf = parse_timeframe(code)

    def d(parts: tuple[int, ...]) -> datetime:
        return datetime(*parts, tzinfo=UTC)

    await store.write_candles("KRW-BTC", tf, [], covered=(d(covered[0]), d(covered[1])))
    assert await store.missing("KRW-BTC", tf, d(start), d(end)) == [
        (d(a), d(b)) for a, b in expected
    ]


async def test_the_still_forming_candle_is_never_covered(db_url: str) -> None:
    now = datetime(2024, 6, 1, 12, 30, 20, tzinfo=UTC)
    store = MarketStore(db_url, clock=fixed_clock(now))
    try:
        start = now - timedelta(hours=1)
        await store.write_candles("KRW-BTC", MINUTE, [], covered=(start, now + timedelta(hours=1)))
        forming = datetime(2024, 6, 1, 12, 30, tzinfo=UTC)
        assert await store.covered_ranges("KRW-BTC", MINUTE) == [(MINUTE.ceil(start), forming)]
        assert await store.missing(
            "KRW-BTC", MINUTE, forming - minutes(5), forming + minutes(1)
        ) == [(forming, forming + minutes(1))]

        # A range entirely in the forming candle or the future records nothing.
        day = parse_timeframe("1d")
        await store.write_candles(
            "KRW-BTC", day, [], covered=(datetime(2024, 6, 1, tzinfo=UTC), now)
        )
        assert await store.covered_ranges("KRW-BTC", day) == []
    finally:
        await store.close()


async def test_delete_market_forgets_coverage(store: MarketStore) -> None:
    await cover(store, 0, 10)
    await cover(store, 0, 10, market="KRW-ETH")
    await store.delete_market("KRW-BTC")
    assert await store.missing("KRW-BTC", MINUTE, at(0), at(10)) == [(at(0), at(10))]
    assert await store.missing("KRW-ETH", MINUTE, at(0), at(10)) == []


# -- property test: the store agrees with a brute-force model ---------------------------------

writes = st.lists(st.tuples(st.integers(0, 120), st.integers(1, 25)), min_size=0, max_size=10)
queries = st.lists(st.tuples(st.integers(0, 150), st.integers(0, 60)), min_size=1, max_size=4)


def model_gaps(covered: set[int], lo: int, hi: int) -> list[tuple[int, int]]:
    gaps: list[tuple[int, int]] = []
    for minute in range(lo, hi):
        if minute in covered:
            continue
        if gaps and gaps[-1][1] == minute:
            gaps[-1] = (gaps[-1][0], minute + 1)
        else:
            gaps.append((minute, minute + 1))
    return gaps


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(spans=writes, asks=queries)
def test_missing_matches_a_brute_force_model_of_random_coverage(
    tmp_path: Path, spans: list[tuple[int, int]], asks: list[tuple[int, int]]
) -> None:
    async def scenario() -> None:
        async with MarketStore(tmp_path / "model.sqlite3") as store:
            market = f"KRW-P{abs(hash((tuple(spans), tuple(asks)))) % 10**9}"
            covered: set[int] = set()
            for lo, length in spans:
                await store.write_candles(market, MINUTE, [], covered=(at(lo), at(lo + length)))
                covered.update(range(lo, lo + length))
            for lo, length in asks:
                got = await store.missing(market, MINUTE, at(lo), at(lo + length))
                assert got == [(at(a), at(b)) for a, b in model_gaps(covered, lo, lo + length)]
            ranges = await store.covered_ranges(market, MINUTE)
            assert {
                m for a, b in ranges for m in range((a - T0) // minutes(1), (b - T0) // minutes(1))
            } == covered

    asyncio.run(scenario())
