"""Coverage rows: the statements that read ranges back and merge a new range in.

The arithmetic lives in ``coverage`` (pure functions); this module only moves ranges
between those functions and the ``candle_coverage`` table, inside the caller's
transaction (which holds the series lock while merging).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from backbone.domain.timeframes import Timeframe
from backbone.storage.candles import series_id_subquery
from backbone.storage.coverage import Interval, absorb
from backbone.storage.schema import coverage


def overlapping_query(market: str, timeframe: Timeframe, lo: int, hi: int) -> Select[Any]:
    """Ranges of (market, timeframe) that share a point with ``[lo, hi)``, ascending."""
    return (
        select(coverage.c.start_ms, coverage.c.end_ms)
        .where(
            coverage.c.series_id == series_id_subquery(market, timeframe),
            coverage.c.start_ms < hi,
            coverage.c.end_ms > lo,
        )
        .order_by(coverage.c.start_ms)
    )


def all_query(market: str, timeframe: Timeframe) -> Select[Any]:
    """Every range of (market, timeframe), ascending."""
    return (
        select(coverage.c.start_ms, coverage.c.end_ms)
        .where(coverage.c.series_id == series_id_subquery(market, timeframe))
        .order_by(coverage.c.start_ms)
    )


async def merge_range(conn: AsyncConnection, series_id: int, span: Interval) -> None:
    """Merge ``span`` with every range it overlaps or touches: delete them, insert the union.

    Stored ranges stay disjoint and never touch, so ``missing()`` can subtract them as they are.
    """
    lo, hi = span
    touching = (
        await conn.execute(
            select(coverage.c.start_ms, coverage.c.end_ms).where(
                coverage.c.series_id == series_id,
                coverage.c.start_ms <= hi,
                coverage.c.end_ms >= lo,
            )
        )
    ).all()
    merged = absorb(span, [(int(a), int(b)) for a, b in touching])
    if touching:
        await conn.execute(
            delete(coverage).where(
                coverage.c.series_id == series_id,
                coverage.c.start_ms.in_([int(a) for a, _ in touching]),
            )
        )
    await conn.execute(
        insert(coverage).values(series_id=series_id, start_ms=merged[0], end_ms=merged[1])
    )
