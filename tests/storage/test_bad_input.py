"""Bad input is refused with an InvalidInputError that names the field and what is allowed."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from backbone.domain.errors import InvalidInputError
from backbone.storage import MarketStore
from tests.storage.conftest import MINUTE, T0, make_candles


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> MarketStore:
    store = MarketStore(tmp_path / "bad.sqlite3")
    yield store  # type: ignore[misc]
    await store.close()


async def test_an_unknown_timeframe_lists_the_allowed_ones(sqlite_store: MarketStore) -> None:
    with pytest.raises(InvalidInputError) as caught:
        await sqlite_store.read_candles("KRW-BTC", "7m", T0, T0 + timedelta(hours=1))
    assert caught.value.field == "timeframe" and caught.value.code == "INVALID_TIMEFRAME"
    assert "1m" in caught.value.message and "240m" in caught.value.message


async def test_timeframe_aliases_are_accepted(sqlite_store: MarketStore) -> None:
    await sqlite_store.write_candles("KRW-BTC", "1m", make_candles(range(2)))
    assert len(await sqlite_store.read_candles("KRW-BTC", "1m", T0, T0 + timedelta(hours=1))) == 2
    assert await sqlite_store.missing("KRW-BTC", "1h", T0, T0 + timedelta(hours=2)) == [
        (T0, T0 + timedelta(hours=2))
    ]


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.read_candles("KRW-BTC", MINUTE, T0 + timedelta(hours=1), T0),
        lambda s: s.read_candles("KRW-BTC", MINUTE, T0 + timedelta(hours=1), T0),
        lambda s: s.missing("KRW-BTC", MINUTE, T0 + timedelta(hours=1), T0),
        lambda s: s.read_trades("KRW-BTC", T0 + timedelta(hours=1), T0),
    ],
)
async def test_start_after_end_names_start(sqlite_store: MarketStore, call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInputError) as caught:
        await call(sqlite_store)
    assert caught.value.field == "start" and caught.value.code == "INVALID_RANGE"
    assert "is after end" in caught.value.message


async def test_naive_datetimes_name_the_field(sqlite_store: MarketStore) -> None:
    naive = datetime(2024, 1, 1)
    with pytest.raises(InvalidInputError) as caught:
        await sqlite_store.read_candles("KRW-BTC", MINUTE, naive, T0)
    assert caught.value.field == "start" and "time zone" in caught.value.message
    with pytest.raises(InvalidInputError) as caught:
        await sqlite_store.missing("KRW-BTC", MINUTE, T0, naive)
    assert caught.value.field == "end"
    with pytest.raises(InvalidInputError) as caught:
        await sqlite_store.read_latest_candles("KRW-BTC", MINUTE, naive, 5)
    assert caught.value.field == "end"
    with pytest.raises(InvalidInputError) as caught:
        await sqlite_store.write_candles("KRW-BTC", MINUTE, [], covered=(naive, T0))
    assert caught.value.field == "covered[0]"


async def test_a_covered_range_must_be_a_pair_in_order(sqlite_store: MarketStore) -> None:
    with pytest.raises(InvalidInputError) as caught:
        await sqlite_store.write_candles("KRW-BTC", MINUTE, [], covered=(T0,))  # type: ignore[arg-type]
    assert caught.value.field == "covered"
    with pytest.raises(InvalidInputError) as caught:
        await sqlite_store.write_candles(
            "KRW-BTC", MINUTE, [], covered=(T0 + timedelta(minutes=1), T0)
        )
    assert caught.value.field == "covered[0]"


async def test_a_time_that_is_not_a_datetime_names_the_field(sqlite_store: MarketStore) -> None:
    with pytest.raises(InvalidInputError) as caught:
        await sqlite_store.read_candles("KRW-BTC", MINUTE, "2024-01-01", T0)  # type: ignore[arg-type]
    assert caught.value.field == "start" and "datetime" in caught.value.message


@pytest.mark.parametrize("market", ["", " KRW-BTC", "KRW BTC", None, 42, "K" * 41])
async def test_a_bad_market_code_names_market(sqlite_store: MarketStore, market: object) -> None:
    with pytest.raises(InvalidInputError) as caught:
        await sqlite_store.read_candles(market, MINUTE, T0, T0)  # type: ignore[arg-type]
    assert caught.value.field == "market" and caught.value.code == "INVALID_SYMBOL"


@pytest.mark.parametrize("count", [-1, 1.5, True, "10"])
async def test_a_bad_count_names_count(sqlite_store: MarketStore, count: object) -> None:
    with pytest.raises(InvalidInputError) as caught:
        await sqlite_store.read_latest_candles("KRW-BTC", MINUTE, T0, count)  # type: ignore[arg-type]
    assert caught.value.field == "count"


async def test_bad_input_never_opens_or_changes_the_database(tmp_path: Path) -> None:
    store = MarketStore(tmp_path / "untouched.sqlite3")
    with pytest.raises(InvalidInputError):
        await store.write_candles("KRW-BTC", "2m", make_candles(range(3)))
    assert not store.is_open
    assert not (tmp_path / "untouched.sqlite3").exists()
