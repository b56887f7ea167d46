"""Housekeeping statements: size per series, database size, VACUUM, deleting a market.

Functions take a connection (or, for VACUUM, a URL) so the store decides the
transaction; VACUUM is the one statement that must run outside any transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from backbone.domain.clock import ms_to_utc
from backbone.storage.candles import size_query
from backbone.storage.engine import create_engine, sqlite_file
from backbone.storage.schema import candles, coverage, meta, metadata, series, trades


@dataclass(frozen=True, slots=True)
class SizeRow:
    """How much one (market, timeframe) holds."""

    market: str
    timeframe: str  # the timeframe code, e.g. "1m"
    candles: int
    first: datetime  # start of the oldest stored candle (aware UTC)
    last: datetime  # start of the newest stored candle


async def size_rows(conn: AsyncConnection) -> list[SizeRow]:
    result = await conn.execute(size_query())
    return [
        SizeRow(market, timeframe, int(count), ms_to_utc(first), ms_to_utc(last))
        for market, timeframe, count, first, last in result.all()
    ]


async def database_bytes(conn: AsyncConnection) -> int:
    """Bytes the store's tables take: the whole file on SQLite, our relations on PostgreSQL."""
    if conn.dialect.name == "postgresql":
        names = [table.name for table in metadata.sorted_tables]
        total = 0
        for name in names:
            size = await conn.execute(
                text("SELECT pg_total_relation_size(CAST(:name AS regclass))"), {"name": name}
            )
            total += int(size.scalar() or 0)
        return total
    pages = (await conn.execute(text("PRAGMA page_count"))).scalar() or 0
    page_size = (await conn.execute(text("PRAGMA page_size"))).scalar() or 0
    return int(pages) * int(page_size)


async def delete_market_rows(conn: AsyncConnection, market: str) -> int:
    """Delete a market's candles, coverage and trades; return candle + trade rows deleted.

    The series rows stay (a few bytes each) so that ids cached by other stores stay valid.
    """
    series_ids = select(series.c.id).where(series.c.market == market)
    if conn.dialect.name == "postgresql":
        # Lock the series rows as a writer does, so no coverage merge interleaves.
        await conn.execute(series_ids.with_for_update())
    removed = await conn.execute(delete(candles).where(candles.c.series_id.in_(series_ids)))
    await conn.execute(delete(coverage).where(coverage.c.series_id.in_(series_ids)))
    removed_trades = await conn.execute(delete(trades).where(trades.c.market == market))
    return int(removed.rowcount or 0) + int(removed_trades.rowcount or 0)


async def touch_health_row(conn: AsyncConnection, now: datetime) -> None:
    """Write one small row: proves the database accepts writes right now."""
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(meta).values(key="last_write_check", value=now.isoformat())
    await conn.execute(
        stmt.on_conflict_do_update(index_elements=[meta.c.key], set_={"value": stmt.excluded.value})
    )


async def count_trades(conn: AsyncConnection, market: str | None = None) -> int:
    query = select(func.count()).select_from(trades)
    if market is not None:
        query = query.where(trades.c.market == market)
    return int((await conn.execute(query)).scalar() or 0)


async def vacuum(url: str) -> None:
    """Reclaim free space: SQLite VACUUM (then a WAL truncate), PostgreSQL VACUUM ANALYZE.

    Runs on its own unpooled autocommit connection: VACUUM refuses to run in a transaction.
    """
    engine = create_engine(url, maintenance=True)
    try:
        async with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(table.name for table in metadata.sorted_tables)
                await conn.exec_driver_sql(f"VACUUM (ANALYZE) {names}")
            else:
                await conn.exec_driver_sql("VACUUM")
                if sqlite_file(url) is not None:
                    await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        await engine.dispose()
