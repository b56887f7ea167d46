"""Trade rows: one per (market, Upbit ``sequential_id``), inserted once, read back by time.

Upbit's ``sequential_id`` is unique per market but is not an ordering key, so reads
order by timestamp first and use the id only to break ties.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from backbone.domain.errors import InvalidInputError
from backbone.domain.models import Trade
from backbone.storage.schema import trades
from backbone.storage.validation import check_market

_COLUMNS = (
    trades.c.market,
    trades.c.timestamp_ms,
    trades.c.trade_price,
    trades.c.trade_volume,
    trades.c.prev_closing_price,
    trades.c.change_price,
    trades.c.ask_bid,
    trades.c.sequential_id,
)
WRITE_CHUNK = 5_000


def trade_rows(items: Sequence[Trade]) -> list[dict[str, Any]]:
    """Parameter rows for the insert, checking each trade names a market and an id."""
    rows: list[dict[str, Any]] = []
    for index, trade in enumerate(items):
        if not isinstance(trade, Trade):
            raise InvalidInputError(
                "INVALID_TRADES",
                "trades",
                f"trades[{index}] is a {type(trade).__name__}, not a Trade",
            )
        check_market(trade.market, f"trades[{index}].market")
        rows.append(
            {
                "market": trade.market,
                "sequential_id": int(trade.sequential_id),
                "timestamp_ms": int(trade.timestamp),
                "trade_price": trade.trade_price,
                "trade_volume": trade.trade_volume,
                "prev_closing_price": trade.prev_closing_price,
                "change_price": trade.change_price,
                "ask_bid": trade.ask_bid,
            }
        )
    return rows


async def insert_new_trades(conn: AsyncConnection, rows: list[dict[str, Any]]) -> int:
    """Insert rows whose (market, sequential_id) is new; return how many were new.

    RETURNING under ON CONFLICT DO NOTHING yields exactly the inserted rows on both
    back ends, which rowcount of an executemany does not.
    """
    if not rows:
        return 0
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(trades)
        .on_conflict_do_nothing(index_elements=[trades.c.market, trades.c.sequential_id])
        .returning(trades.c.sequential_id)
    )
    inserted = 0
    for offset in range(0, len(rows), WRITE_CHUNK):
        result = await conn.execute(stmt, rows[offset : offset + WRITE_CHUNK])
        inserted += len(result.all())
    return inserted


def range_query(market: str, start_ms: int, end_ms: int) -> Select[Any]:
    return (
        select(*_COLUMNS)
        .where(
            trades.c.market == market,
            trades.c.timestamp_ms >= start_ms,
            trades.c.timestamp_ms < end_ms,
        )
        .order_by(trades.c.timestamp_ms, trades.c.sequential_id)
    )


def rows_to_trades(rows: Sequence[Sequence[Any]]) -> list[Trade]:
    return [Trade(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows]
