"""Fixtures for the storage tests: the same tests run on a SQLite file and on PostgreSQL.

PostgreSQL cases need ``UPBIT_TEST_PG_URL`` (``source .ci/postgres.sh`` starts a local
server and sets it). Without it they skip with that reason, unless ``UPBIT_REQUIRE_PG=1``,
in which case they fail: CI must never skip them silently.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backbone.domain.models import Candle
from backbone.domain.timeframes import Timeframe, parse_timeframe
from backbone.storage import MarketStore
from backbone.storage.engine import create_engine
from backbone.storage.schema import metadata

PG_URL_ENV = "UPBIT_TEST_PG_URL"
REQUIRE_PG_ENV = "UPBIT_REQUIRE_PG"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]

T0 = datetime(2024, 1, 1, tzinfo=UTC)
MINUTE = parse_timeframe("1m")


def postgres_url_or_skip() -> str:
    """The test server's URL; skip (or fail, when PostgreSQL is required) without one."""
    url = os.environ.get(PG_URL_ENV, "").strip()
    if url:
        return url
    if os.environ.get(REQUIRE_PG_ENV) == "1":
        pytest.fail(f"{REQUIRE_PG_ENV}=1 but {PG_URL_ENV} is not set; source .ci/postgres.sh first")
    pytest.skip(f"PostgreSQL case: set {PG_URL_ENV} (source .ci/postgres.sh starts a local server)")


async def reset_postgres(url: str) -> None:
    """Drop the store's tables so each test starts from an empty database."""
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
    finally:
        await engine.dispose()


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each back end."""
    if request.param == "sqlite":
        return str(tmp_path / "store.sqlite3")
    url = postgres_url_or_skip()
    await reset_postgres(url)
    return url


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[MarketStore]:
    market_store = MarketStore(db_url)
    await market_store.open()
    try:
        yield market_store
    finally:
        await market_store.close()


def make_candle(
    index: int,
    *,
    market: str = "KRW-BTC",
    timeframe: Timeframe = MINUTE,
    origin: datetime = T0,
    price: float | None = None,
    **extra: object,
) -> Candle:
    """The ``index``-th candle of a series starting at ``origin``, with distinct values."""
    base = 50_000_000.0 + index if price is None else price
    start = timeframe.shift(origin, index)
    return Candle(
        market=market,
        timeframe=timeframe,
        start=start,
        open=base,
        high=base + 10.5,
        low=base - 10.25,
        close=base + 1.125,
        last_trade_ms=int(start.timestamp() * 1000) + 59_000,
        value=1234.5 + index,
        volume=0.001 * (index + 1),
        **extra,  # type: ignore[arg-type]
    )


def make_candles(indices: range | list[int], **kwargs: object) -> list[Candle]:
    return [make_candle(i, **kwargs) for i in indices]  # type: ignore[arg-type]


def fixed_clock(now: datetime) -> Callable[[], datetime]:
    return lambda: now


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)
