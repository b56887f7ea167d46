"""App processes sharing one database form a desk and split the address's budget through it.

Three backbones on one SQLite file (as three app processes on one machine share
the default database) backfill against one simulator, which counts them as one
address. Once the headers tell each of the others, they agree their parts.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from backbone import MarketDataBackbone, Priority
from backbone.storage.engine import create_engine, resolve_db_url
from backbone.storage.schema import desk_members
from tests.router.helpers import eventually
from tests.storage.conftest import postgres_url_or_skip, reset_postgres

MARKETS = ("KRW-BTC", "KRW-ETH", "KRW-XRP")


async def _rows(db_url: str) -> int:
    engine = create_engine(resolve_db_url(db_url))
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(desk_members))).scalar_one())
    finally:
        await engine.dispose()


def _backfill(bb: MarketDataBackbone, market: str) -> asyncio.Future[Any]:
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    return asyncio.ensure_future(
        bb.get_candle_data(market, "1m", start_time=end - timedelta(days=30), end_time=end, priority=Priority.LOW)
    )


def _part(bb: MarketDataBackbone) -> int | None:
    return bb._router.scheduler.window("candle").part(asyncio.get_running_loop().time())


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def test_three_backbones_on_one_database_split_the_budget_and_a_leaver_is_dropped(
    backend: str, make_simulator: Any, make_backbone: Any, tmp_path: Path
) -> None:
    if backend == "sqlite":
        db = str(tmp_path / "desk.sqlite")
    else:
        db = postgres_url_or_skip()
        await reset_postgres(db)
    sim = await make_simulator(latency_ms=5, jitter_ms=1)
    desk = [await make_backbone(sim, db_url=db) for _ in MARKETS]
    work = [_backfill(bb, market) for bb, market in zip(desk, MARKETS, strict=True)]

    async def everyone_joined() -> bool:
        return all(len(bb._coordinator.desk.members) == 3 for bb in desk)

    await eventually(everyone_joined, timeout_s=30.0)

    async def parts_agreed() -> bool:
        return sorted(_part(bb) or 0 for bb in desk) == [3, 3, 4]

    await eventually(parts_agreed, timeout_s=10.0)
    assert await _rows(db) == 3

    leaver = desk.pop()
    work.pop().cancel()
    await leaver.stop()
    assert await _rows(db) == 2

    async def the_others_took_its_part() -> bool:
        return sorted(_part(bb) or 0 for bb in desk) == [5, 5]

    await eventually(the_others_took_its_part, timeout_s=10.0)
    for task in work:
        task.cancel()
    await asyncio.gather(*work, return_exceptions=True)


async def test_a_backbone_alone_on_its_address_never_writes_a_desk_row(
    simulator: Any, make_backbone: Any, tmp_path: Path
) -> None:
    db = str(tmp_path / "alone.sqlite")
    bb: MarketDataBackbone = await make_backbone(simulator, db_url=db)
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    response = await bb.get_candle_data("KRW-BTC", "1m", start_time=end - timedelta(days=3), end_time=end)
    assert response.success, response.error
    assert bb._router.stats().calls_by_group["candle"] >= 20
    assert not bb._router.scheduler.address_shared()
    assert bb._coordinator.desk.members == [] and await _rows(db) == 0
