"""Candle rows: CandleColumns <-> column tuples, bulk upsert, range reads.

Reads select plain columns with Core and fill ``CandleColumns`` straight from the
driver's row tuples through one structured numpy array; no ORM or ``Candle`` objects
are made (``bulk`` keeps the event loop free meanwhile).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
from sqlalchemy import Select, and_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from backbone.domain.candle_columns import VALUE_FIELDS, CandleColumns
from backbone.domain.errors import InvalidInputError
from backbone.domain.models import Candle
from backbone.domain.timeframes import Timeframe
from backbone.storage.schema import CANDLE_VALUE_COLUMNS, candles, series

# Rows per executemany call: bounds the parameter memory of one round trip.
WRITE_CHUNK = 20_000
# Rows per unnest statement on PostgreSQL: asyncpg encodes each on the loop, so keep it short;
# columns of longer chunks are built in a worker thread.
PG_CHUNK = 8_000
PG_THREAD_ROWS = 2_000

_UPDATABLE = VALUE_FIELDS


# The insert's column order; candle_rows builds tuples in this order.
INSERT_COLUMNS = tuple(column.name for column in candles.columns)


def candle_rows(
    series_id: int, market: str, timeframe: Timeframe, items: CandleColumns | Sequence[Candle]
) -> list[tuple[Any, ...]]:
    """Parameter tuples (INSERT_COLUMNS order) for the upsert; ``filled`` candles are skipped.

    A start given twice keeps its last candle: one statement must not update a row twice.
    """
    if not isinstance(items, CandleColumns):
        for index, candle in enumerate(items):
            if candle.start.tzinfo is None:
                raise InvalidInputError(
                    "INVALID_CANDLES", "candles", f"candles[{index}].start has no time zone"
                )
            _check_series(f"candles[{index}] is", candle.market, candle.timeframe, market, timeframe)
        items = CandleColumns.from_candles(market, timeframe, items)
    _check_series("the candles are", items.market, items.timeframe, market, timeframe)
    real = items if not items.filled.any() else items.take(~items.filled)
    optional = [_none_for_nan(getattr(real, name)) for name in ("prev_closing_price", "change_price", "change_rate")]
    return list(
        zip(
            [series_id] * len(real),
            real.start_ms.tolist(),
            real.open.tolist(),
            real.high.tolist(),
            real.low.tolist(),
            real.close.tolist(),
            real.volume.tolist(),
            real.value.tolist(),
            real.last_trade_ms.tolist(),
            *optional,
            strict=True,
        )
    )


def _check_series(what: str, market: str, timeframe: Timeframe, expected: str, expected_tf: Timeframe) -> None:
    if market != expected or timeframe.code != expected_tf.code:
        raise InvalidInputError(
            "INVALID_CANDLES",
            "candles",
            f"{what} {market} {timeframe.code}, but this write is for {expected} {expected_tf.code}",
        )


def _none_for_nan(column: np.ndarray) -> list[float | None]:
    """A nullable column's values, NaN written as SQL NULL."""
    values = column.tolist()
    if not np.isnan(column).any():
        return values  # type: ignore[no-any-return]
    return [None if v != v else v for v in values]


async def upsert_candles(conn: AsyncConnection, rows: list[tuple[Any, ...]]) -> None:
    """INSERT ... ON CONFLICT (series, start) DO UPDATE, in the caller's transaction.

    The statements are SQLAlchemy Core constructs, compiled once per dialect. SQLite runs
    the compiled text through the driver's executemany with plain tuples (a third of the
    cost of per-row parameter processing); PostgreSQL sends each chunk as one
    ``INSERT ... SELECT FROM unnest(arrays)`` statement instead of one round trip per row.
    """
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        statement = _pg_upsert()
        for offset in range(0, len(rows), PG_CHUNK):
            chunk = rows[offset : offset + PG_CHUNK]
            if len(chunk) > PG_THREAD_ROWS:
                arrays = await asyncio.to_thread(_pg_arrays, chunk)
            else:
                arrays = _pg_arrays(chunk)
            await conn.execute(statement, arrays)
        return
    sql = _sqlite_upsert_sql(conn)
    for offset in range(0, len(rows), WRITE_CHUNK):
        await conn.exec_driver_sql(sql, rows[offset : offset + WRITE_CHUNK])


def _pg_arrays(rows: Sequence[tuple[Any, ...]]) -> dict[str, list[Any]]:
    """Row tuples to one list per column: the unnest statement's array parameters."""
    columns = zip(*rows, strict=True)
    return {f"p_{name}": list(values) for name, values in zip(INSERT_COLUMNS, columns, strict=True)}


def _with_upsert(statement: Any) -> Any:
    return statement.on_conflict_do_update(
        index_elements=[candles.c.series_id, candles.c.start_ms],
        set_={name: statement.excluded[name] for name in _UPDATABLE},
    )


@cache
def _pg_upsert() -> Any:
    arrays = (
        func.unnest(
            *(bindparam(f"p_{column.name}", type_=ARRAY(column.type)) for column in candles.columns)
        )
        .table_valued(*INSERT_COLUMNS)
        .render_derived()
    )
    return _with_upsert(
        pg_insert(candles).from_select(
            INSERT_COLUMNS, select(*(arrays.c[name] for name in INSERT_COLUMNS))
        )
    )


_SQLITE_SQL: dict[str, str] = {}


def _sqlite_upsert_sql(conn: AsyncConnection) -> str:
    sql = _SQLITE_SQL.get(conn.dialect.paramstyle)
    if sql is None:
        compiled = _with_upsert(sqlite_insert(candles)).compile(
            dialect=conn.dialect, column_keys=list(INSERT_COLUMNS)
        )
        # The tuples are positional, so the compiled placeholders must follow INSERT_COLUMNS.
        if tuple(compiled.positiontup or ()) != INSERT_COLUMNS:
            raise RuntimeError(f"unexpected parameter order {compiled.positiontup}")
        sql = _SQLITE_SQL[conn.dialect.paramstyle] = compiled.string
    return sql


def series_id_subquery(market: str, timeframe: Timeframe) -> Any:
    return (
        select(series.c.id)
        .where(and_(series.c.market == market, series.c.timeframe == timeframe.code))
        .scalar_subquery()
    )


def range_query(
    columns: Sequence[Any], market: str, timeframe: Timeframe, start_ms: int, end_ms: int
) -> Select[Any]:
    return (
        select(*columns)
        .where(
            candles.c.series_id == series_id_subquery(market, timeframe),
            candles.c.start_ms >= start_ms,
            candles.c.start_ms < end_ms,
        )
        .order_by(candles.c.start_ms)
    )


def latest_query(market: str, timeframe: Timeframe, end_ms: int, count: int) -> Select[Any]:
    return (
        select(*value_columns(timeframe))
        .where(
            candles.c.series_id == series_id_subquery(market, timeframe),
            candles.c.start_ms < end_ms,
        )
        .order_by(candles.c.start_ms.desc())
        .limit(count)
    )


_ROW_DTYPE = np.dtype(
    [
        ("start_ms", np.int64),
        ("open", np.float64),
        ("high", np.float64),
        ("low", np.float64),
        ("close", np.float64),
        ("last_trade_ms", np.int64),
        ("value", np.float64),
        ("volume", np.float64),
    ]
)
_ROW_SLICE = 4_096
_NULLABLE = ("prev_closing_price", "change_price", "change_rate")


def value_columns(timeframe: Timeframe) -> tuple[Any, ...]:
    """The columns a read selects: the nullable change fields only for day candles."""
    return CANDLE_VALUE_COLUMNS if timeframe.code == "1d" else CANDLE_VALUE_COLUMNS[: len(_ROW_DTYPE)]


def rows_to_columns(
    market: str, timeframe: Timeframe, rows: Sequence[Sequence[Any]]
) -> CandleColumns:
    """CANDLE_VALUE_COLUMNS rows (ascending) to CandleColumns, through one structured array.

    Filled in slices: one ``np.fromiter`` over every row would hold the GIL (and so the
    event loop) for its whole length; between slices the loop gets its turn. Only day
    candles carry the nullable change fields, so only their (few) rows are read one by one.
    """
    n = len(rows)
    if n == 0:
        return CandleColumns.empty(market, timeframe)
    table = np.empty(n, dtype=_ROW_DTYPE)
    width = len(_ROW_DTYPE.names or ())
    day = timeframe.code == "1d"
    plain = isinstance(rows[0], tuple) and not day
    for offset in range(0, n, _ROW_SLICE):
        chunk = rows[offset : offset + _ROW_SLICE]
        table[offset : offset + len(chunk)] = np.fromiter(
            chunk if plain else (tuple(row[:width]) for row in chunk),
            dtype=_ROW_DTYPE,
            count=len(chunk),
        )
    if day:
        nullable = [
            np.fromiter((np.nan if row[i] is None else row[i] for row in rows), np.float64, n)
            for i in range(width, width + len(_NULLABLE))
        ]
    else:
        nullable = [np.full(n, np.nan)] * len(_NULLABLE)
    return CandleColumns(
        market,
        timeframe,
        start_ms=table["start_ms"],
        open=table["open"],
        high=table["high"],
        low=table["low"],
        close=table["close"],
        volume=table["volume"],
        value=table["value"],
        last_trade_ms=table["last_trade_ms"],
        prev_closing_price=nullable[0],
        change_price=nullable[1],
        change_rate=nullable[2],
        filled=np.zeros(n, np.bool_),
    )


def size_query() -> Select[Any]:
    """Per series: candle count, first and last start."""
    return (
        select(
            series.c.market,
            series.c.timeframe,
            func.count(),
            func.min(candles.c.start_ms),
            func.max(candles.c.start_ms),
        )
        .select_from(candles.join(series, candles.c.series_id == series.c.id))
        .group_by(series.c.id, series.c.market, series.c.timeframe)
        .order_by(series.c.market, series.c.timeframe)
    )
