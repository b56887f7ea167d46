"""Candle rows on both back ends: round trips, upserts, reads in time order, concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import numpy as np
import pytest

from backbone.domain.candle_columns import CandleColumns
from backbone.domain.errors import InvalidInputError
from backbone.domain.models import Candle
from backbone.domain.timeframes import parse_timeframe
from backbone.storage import MarketStore
from tests.storage.conftest import MINUTE, T0, make_candle, make_candles, minutes

END = T0 + minutes(10_000)


async def test_every_candle_field_round_trips_including_day_fields(store: MarketStore) -> None:
    day = parse_timeframe("1d")
    with_day_fields = make_candle(
        0, timeframe=day, prev_closing_price=49_000_000.5, change_price=-123.25, change_rate=-0.0025
    )
    without = make_candle(1, timeframe=day)
    await store.write_candles("KRW-BTC", day, [with_day_fields, without])

    got = (await store.read_candles("KRW-BTC", "1d", T0, T0.replace(year=2025))).to_candles()

    assert got == [with_day_fields, without]
    assert got[0].start.tzinfo is not None and got[0].start == T0
    assert got[1].prev_closing_price is None


async def test_writing_the_same_candles_twice_keeps_one_row_each(store: MarketStore) -> None:
    candles = make_candles(range(300))
    await store.write_candles("KRW-BTC", MINUTE, candles)
    await store.write_candles("KRW-BTC", MINUTE, candles)

    assert (await store.read_candles("KRW-BTC", MINUTE, T0, END)).to_candles() == candles
    [row] = await store.size_report()
    assert (row.market, row.timeframe, row.candles) == ("KRW-BTC", "1m", 300)
    assert (row.first, row.last) == (T0, T0 + minutes(299))


async def test_an_upsert_replaces_the_values_of_an_existing_candle(store: MarketStore) -> None:
    await store.write_candles("KRW-BTC", MINUTE, make_candles(range(5)))
    revised = make_candle(2, price=1.0)
    await store.write_candles("KRW-BTC", MINUTE, [revised])

    got = (await store.read_candles("KRW-BTC", MINUTE, T0, END)).to_candles()

    assert len(got) == 5 and got[2] == revised


async def test_a_start_repeated_in_one_write_keeps_the_last_candle(store: MarketStore) -> None:
    first, last = make_candle(0, price=1.0), make_candle(0, price=2.0)
    await store.write_candles("KRW-BTC", MINUTE, [first, last])
    assert (await store.read_candles("KRW-BTC", MINUTE, T0, END)).to_candles() == [last]


async def test_filled_candles_are_never_stored(store: MarketStore) -> None:
    real = make_candle(0)
    filled = make_candle(1, filled=True)
    await store.write_candles("KRW-BTC", MINUTE, [real, filled], covered=(T0, T0 + minutes(2)))

    assert (await store.read_candles("KRW-BTC", MINUTE, T0, END)).to_candles() == [real]
    assert await store.missing("KRW-BTC", MINUTE, T0, T0 + minutes(2)) == []


async def test_reads_are_half_open_and_ascending_whatever_the_write_order(
    store: MarketStore,
) -> None:
    candles = make_candles(range(50))
    await store.write_candles("KRW-BTC", MINUTE, list(reversed(candles[25:])))
    await store.write_candles("KRW-BTC", MINUTE, candles[:25])

    got = (await store.read_candles("KRW-BTC", MINUTE, T0 + minutes(10), T0 + minutes(20))).to_candles()

    assert got == candles[10:20]
    assert (await store.read_candles("KRW-BTC", MINUTE, T0, T0)).to_candles() == []


async def test_series_are_kept_apart_by_market_and_timeframe(store: MarketStore) -> None:
    five = parse_timeframe("5m")
    await store.write_candles("KRW-BTC", MINUTE, make_candles(range(3)))
    await store.write_candles("KRW-ETH", MINUTE, make_candles(range(4), market="KRW-ETH"))
    await store.write_candles("KRW-BTC", five, make_candles(range(5), timeframe=five))

    assert len(await store.read_candles("KRW-BTC", MINUTE, T0, END)) == 3
    assert len(await store.read_candles("KRW-ETH", MINUTE, T0, END)) == 4
    assert len(await store.read_candles("KRW-BTC", "5m", T0, END)) == 5
    assert (await store.read_candles("KRW-XRP", MINUTE, T0, END)).to_candles() == []


async def test_read_latest_gives_the_newest_before_end_in_ascending_order(
    store: MarketStore,
) -> None:
    candles = make_candles(range(100))
    await store.write_candles("KRW-BTC", MINUTE, candles)

    assert (
        (await store.read_latest_candles("KRW-BTC", MINUTE, T0 + minutes(50), 10)).to_candles() == candles[40:50]
    )
    assert (await store.read_latest_candles("KRW-BTC", MINUTE, T0 + minutes(5), 10)).to_candles() == candles[:5]
    assert (await store.read_latest_candles("KRW-BTC", MINUTE, END, 0)).to_candles() == []


async def test_columns_hold_the_same_values_as_the_candles(store: MarketStore) -> None:
    candles = make_candles(range(0, 400, 2))
    await store.write_candles("KRW-BTC", MINUTE, candles)

    arrays = await store.read_candles("KRW-BTC", MINUTE, T0, END)

    assert isinstance(arrays, CandleColumns) and len(arrays) == 200
    assert arrays.start_ms.dtype == np.int64 and arrays.close.dtype == np.float64
    assert arrays.start_ms.tolist() == [c.start_ms for c in candles]
    assert arrays.open.tolist() == [c.open for c in candles]
    assert arrays.high.tolist() == [c.high for c in candles]
    assert arrays.low.tolist() == [c.low for c in candles]
    assert arrays.close.tolist() == [c.close for c in candles]
    assert arrays.volume.tolist() == [c.volume for c in candles]
    assert arrays.value.tolist() == [c.value for c in candles]
    assert arrays.start[0] == np.datetime64("2024-01-01T00:00:00.000")
    assert len(await store.read_candles("KRW-XRP", MINUTE, T0, END)) == 0


async def test_large_reads_round_trip_through_the_worker_thread(store: MarketStore) -> None:
    candles = make_candles(range(25_000))  # above the threshold that moves conversion off the loop
    await store.write_candles("KRW-BTC", MINUTE, candles, covered=(T0, T0 + minutes(25_000)))

    got = (await store.read_candles("KRW-BTC", MINUTE, T0, T0 + minutes(25_000))).to_candles()
    arrays = await store.read_candles("KRW-BTC", MINUTE, T0, T0 + minutes(25_000))

    assert got == candles
    assert len(arrays) == 25_000 and arrays.close[-1] == candles[-1].close


async def test_two_tasks_writing_overlapping_pages_leave_no_duplicates(store: MarketStore) -> None:
    candles = make_candles(range(3_000))

    async def write(part: list[Candle], lo: int, hi: int) -> None:
        for offset in range(lo, hi, 200):
            page = [c for c in part if offset <= (c.start - T0) // minutes(1) < offset + 200]
            await store.write_candles(
                "KRW-BTC", MINUTE, page, covered=(T0 + minutes(offset), T0 + minutes(offset + 200))
            )

    await asyncio.gather(write(candles[:2_000], 0, 2_000), write(candles[1_000:], 1_000, 3_000))

    assert (await store.read_candles("KRW-BTC", MINUTE, T0, END)).to_candles() == candles
    assert await store.covered_ranges("KRW-BTC", MINUTE) == [(T0, T0 + minutes(3_000))]
    [row] = await store.size_report()
    assert row.candles == 3_000


async def test_two_stores_on_one_database_merge_coverage_without_losing_a_range(
    db_url: str,
) -> None:
    # Two stores have separate connection pools: to the database they are two processes.
    first, second = MarketStore(db_url), MarketStore(db_url)
    try:

        async def write(store: MarketStore, pages: range) -> None:
            for page in pages:
                lo = T0 + minutes(page * 10)
                await store.write_candles(
                    "KRW-BTC",
                    MINUTE,
                    make_candles(range(page * 10, page * 10 + 10)),
                    covered=(lo, lo + minutes(10)),
                )

        # Interleaved pages: every write merges with a neighbour the other store just wrote.
        await asyncio.gather(write(first, range(0, 60, 2)), write(second, range(1, 60, 2)))

        assert await first.covered_ranges("KRW-BTC", MINUTE) == [(T0, T0 + minutes(600))]
        assert len(await second.read_candles("KRW-BTC", MINUTE, T0, END)) == 600
    finally:
        await first.close()
        await second.close()


async def test_candles_of_another_market_in_a_write_are_refused(store: MarketStore) -> None:
    with pytest.raises(InvalidInputError) as caught:
        await store.write_candles("KRW-BTC", MINUTE, [make_candle(0, market="KRW-ETH")])
    assert caught.value.field == "candles" and "KRW-ETH" in caught.value.message

    with pytest.raises(InvalidInputError) as caught:
        await store.write_candles("KRW-BTC", "5m", [make_candle(0)])
    assert caught.value.field == "candles"


async def test_a_failed_write_stores_nothing(store: MarketStore) -> None:
    good = make_candles(range(3))
    naive = Candle("KRW-BTC", MINUTE, datetime(2024, 1, 2), 1, 1, 1, 1, 0, 0, 0)
    with pytest.raises(InvalidInputError):
        await store.write_candles("KRW-BTC", MINUTE, [*good, naive], covered=(T0, T0 + minutes(3)))

    assert (await store.read_candles("KRW-BTC", MINUTE, T0, END)).to_candles() == []
    assert await store.covered_ranges("KRW-BTC", MINUTE) == []


async def test_times_given_in_another_zone_mean_the_same_instant(store: MarketStore) -> None:
    from backbone.domain.clock import KST

    await store.write_candles("KRW-BTC", MINUTE, make_candles(range(10)))
    got = (await store.read_candles(
        "KRW-BTC", MINUTE, T0.astimezone(KST), (T0 + minutes(3)).astimezone(KST)
    )).to_candles()
    assert [c.start for c in got] == [T0, T0 + minutes(1), T0 + minutes(2)]
    assert got[0].start.tzinfo == UTC
