"""MarketStore: the storage layer's one entry object (candles, coverage, trades, upkeep).

A passive store: it never touches the network. Callers (the coordinator) decide what
to fetch by asking ``missing()``, then hand pages to ``write_candles`` together with
the range those pages prove complete. Rows and coverage land in one transaction, so
coverage never claims a candle that is not stored, even if the process dies mid-write.

Concurrency: on SQLite every write transaction starts with BEGIN IMMEDIATE (writers
queue for the file's lock up front; WAL lets readers go on meanwhile) and writers in
one process also queue on an asyncio lock. On PostgreSQL a writer locks its series row
``FOR UPDATE`` before merging coverage, so tasks or processes sharing one server merge
one at a time per (market, timeframe).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backbone.domain.candle_columns import CandleColumns
from backbone.domain.clock import ms_to_utc, utc_to_ms
from backbone.domain.desk import DeskMember
from backbone.domain.errors import InvalidInputError, StorageError
from backbone.domain.models import Candle, Trade, utc_now
from backbone.domain.timeframes import Timeframe
from backbone.storage import bulk, coverage_rows, desk, maintenance
from backbone.storage import candles as candle_rows
from backbone.storage import trades as trade_rows
from backbone.storage.bulk import collector_paused
from backbone.storage.candle_cache import DEFAULT_BUDGET_BYTES, CandleCache
from backbone.storage.coverage import Interval, subtract
from backbone.storage.engine import (
    IMMEDIATE,
    create_engine,
    display_url,
    is_sqlite,
    resolve_db_url,
    sqlite_file,
)
from backbone.storage.schema import ensure_schema, series
from backbone.storage.validation import (
    check_count,
    check_market,
    check_range,
    check_time,
    check_timeframe,
)

log = logging.getLogger(__name__)

SizeRow = maintenance.SizeRow
TimeRange = tuple[datetime, datetime]


class MarketStore:
    """Candles with coverage, and trades, in SQLite (default) or PostgreSQL.

    ``url``: None (``$UPBIT_BACKBONE_DB``, else a SQLite file in the user's data directory),
    a file path, or an SQLAlchemy URL (``sqlite+aiosqlite:///...``, ``postgresql+asyncpg://...``).
    ``clock`` gives "now" for clipping coverage at the still-forming candle.
    ``hot_bytes`` bounds the memory that complete spans of recently read series may hold
    (0 turns that cache off). Every method opens the store on first use; ``open()`` just
    does it early.
    """

    def __init__(
        self,
        url: str | os.PathLike[str] | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        hot_bytes: int = DEFAULT_BUDGET_BYTES,
    ) -> None:
        self._url = resolve_db_url(url)
        self._sqlite = is_sqlite(self._url)
        # An in-memory SQLite database lives in one shared connection, which cannot carry
        # two transactions at once: there, reads queue behind the write lock too.
        self._one_connection = self._sqlite and sqlite_file(self._url) is None
        self._clock = clock
        self._engine: AsyncEngine | None = None
        self._writer: AsyncEngine | None = None
        self._open_lock = asyncio.Lock()
        self._write_lock = asyncio.Lock()
        self._series_ids: dict[tuple[str, str], int] = {}
        self.hot = CandleCache(hot_bytes)

    @property
    def url(self) -> str:
        """The database URL as it may be shown or logged: any password is ``***``."""
        return display_url(self._url)

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return "sqlite" if self._sqlite else "postgresql"

    @property
    def is_open(self) -> bool:
        return self._engine is not None

    async def open(self) -> None:
        """Connect, create the schema and version row on first use. Idempotent.

        Raises SchemaVersionError for a database written by a newer version of the app.
        """
        async with self._open_lock:
            if self._engine is not None:
                return
            with _storage_errors("open the database"):
                engine = create_engine(self._url)
            writer = engine.execution_options(**{IMMEDIATE: True}) if self._sqlite else engine
            try:
                with _storage_errors("open the database"):
                    async with writer.begin() as conn:
                        await ensure_schema(conn)
            except BaseException:
                await engine.dispose()
                raise
            self._engine, self._writer = engine, writer

    async def close(self) -> None:
        """Close every connection. Idempotent; the store reopens if used again."""
        async with self._open_lock:
            engine, self._engine, self._writer = self._engine, None, None
            self._series_ids.clear()
            self.hot.clear()
            if engine is not None:
                await engine.dispose()

    async def __aenter__(self) -> MarketStore:
        await self.open()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    # -- candles --------------------------------------------------------------------------

    async def write_candles(
        self,
        market: str,
        timeframe: Timeframe | str,
        candles: CandleColumns | Sequence[Candle],
        covered: TimeRange | None = None,
    ) -> None:
        """Upsert ``candles`` and merge ``covered`` into coverage, in one transaction.

        ``covered`` is a range the caller asserts complete: every candle that exists with a
        start in it is among ``candles`` (a start absent from ``candles`` had no trades).
        It is aligned to candle starts and clipped so the still-forming candle (start at or
        after ``timeframe.floor(now)``) is never covered. ``filled`` candles are not stored.
        """
        market = check_market(market)
        tf = check_timeframe(timeframe)
        span = self._coverage_span(tf, covered) if covered is not None else None
        if not candles and span is None:
            return
        series_id = await self._series_id(market, tf)
        with collector_paused(len(candles) > bulk.LARGE):
            rows = await bulk.convert(candles, candle_rows.candle_rows, series_id, market, tf)
            with _storage_errors(f"write {market} {tf.code} candles"):
                async with self._write() as conn:
                    await self._lock_series(conn, series_id)
                    await candle_rows.upsert_candles(conn, rows)
                    if span is not None:
                        await coverage_rows.merge_range(conn, series_id, span)
            del rows  # freed before the collector resumes (see _fetch_converted)
        key = (market, tf.code)
        if self.hot.holds(key):
            if not isinstance(candles, CandleColumns):
                candles = CandleColumns.from_candles(market, tf, candles)
            self.hot.written(key, candles if not candles.filled.any() else candles.take(~candles.filled))

    async def read_candles(
        self,
        market: str,
        timeframe: Timeframe | str,
        start: datetime,
        end: datetime,
        *,
        keep_hot: bool = True,
    ) -> CandleColumns:
        """Stored candles with start in ``[start, end)``, ascending, as columns.

        A range inside a complete span read before is sliced from memory; otherwise one
        query reads the rows (and, with ``keep_hot``, one small one the coverage, so that
        the complete part is kept in memory for the next read).
        """
        market, tf = check_market(market), check_timeframe(timeframe)
        start, end = check_range(start, end)
        lo, hi = utc_to_ms(start), utc_to_ms(end)
        key = (market, tf.code)
        held = self.hot.read(key, lo, hi)
        if held is not None:
            return held
        query = candle_rows.range_query(candle_rows.value_columns(tf), market, tf, lo, hi)
        queries = [query]
        if keep_hot and self.hot.budget_bytes:
            queries.insert(0, coverage_rows.overlapping_query(market, tf, lo, hi))
        action = f"read {market} {tf.code} candles"
        with collector_paused(_most_candles(tf, start, end) > bulk.LARGE):
            fetched = await self._fetch_many(queries, action)
            covered = fetched[0] if len(fetched) == 2 else []
            # The row tuples are handed over, so they are freed while the collector sleeps.
            columns = await bulk.convert(fetched.pop(), candle_rows.rows_to_columns, market, tf)
        complete = [(max(int(a), lo), min(int(b), hi)) for a, b in covered]
        complete = [(a, b) for a, b in complete if a < b]
        if complete:
            a, b = max(complete, key=lambda span: span[1] - span[0])
            self.hot.offer(key, a, b, columns)
        return columns

    async def read_latest_candles(
        self, market: str, timeframe: Timeframe | str, end: datetime, count: int
    ) -> CandleColumns:
        """The ``count`` newest stored candles with start before ``end``, ascending, as columns."""
        market, tf = check_market(market), check_timeframe(timeframe)
        end, count = check_time(end, "end"), check_count(count)
        if count == 0:
            return CandleColumns.empty(market, tf)
        end_ms = utc_to_ms(end)
        held = self.hot.latest((market, tf.code), end_ms, count)
        if held is not None:
            return held
        query = candle_rows.latest_query(market, tf, end_ms, count)
        with collector_paused(count > bulk.LARGE):
            newest_first = await self._fetch(query, f"read {market} {tf.code} candles")
            newest_first.reverse()
            return await bulk.convert(newest_first, candle_rows.rows_to_columns, market, tf)

    # -- coverage -------------------------------------------------------------------------

    async def missing(
        self, market: str, timeframe: Timeframe | str, start: datetime, end: datetime
    ) -> list[TimeRange]:
        """Aligned sub-ranges of ``[start, end)`` not known complete, ascending.

        The candle starts considered are those in ``[start, end)``, i.e. the aligned range
        ``[timeframe.ceil(start), timeframe.ceil(end))``. Minutes without trades inside a
        covered range are known empty, not missing.
        """
        market, tf = check_market(market), check_timeframe(timeframe)
        start, end = check_range(start, end)
        lo, hi = _aligned_ms(tf, start, end)
        if lo >= hi:
            return []
        query = coverage_rows.overlapping_query(market, tf, lo, hi)
        covered = [
            (int(a), int(b))
            for a, b in await self._fetch(query, f"read {market} {tf.code} coverage")
        ]
        return [_as_datetimes(gap) for gap in subtract(covered, lo, hi)]

    async def covered_ranges(self, market: str, timeframe: Timeframe | str) -> list[TimeRange]:
        """Every range known complete for (market, timeframe), merged and ascending."""
        market, tf = check_market(market), check_timeframe(timeframe)
        query = coverage_rows.all_query(market, tf)
        rows = await self._fetch(query, f"read {market} {tf.code} coverage")
        return [_as_datetimes((int(a), int(b))) for a, b in rows]

    # -- trades ---------------------------------------------------------------------------

    async def write_trades(self, trades: Sequence[Trade]) -> int:
        """Store trades not yet stored (by market and ``sequential_id``); return how many were new."""
        rows = trade_rows.trade_rows(trades)
        if not rows:
            return 0
        with _storage_errors("write trades"):
            async with self._write() as conn:
                return await trade_rows.insert_new_trades(conn, rows)

    async def read_trades(self, market: str, start: datetime, end: datetime) -> list[Trade]:
        """Stored trades of ``market`` with timestamp in ``[start, end)``, ascending by time."""
        market = check_market(market)
        start, end = check_range(start, end)
        query = trade_rows.range_query(
            market, utc_to_ms(start), utc_to_ms(end)
        )
        return await bulk.convert(
            await self._fetch(query, f"read {market} trades"), trade_rows.rows_to_trades
        )

    # -- the desk -------------------------------------------------------------------------

    async def desk_beat(self, me: DeskMember, now: float, stale_s: float) -> list[DeskMember]:
        """Say ``me`` is alive (at wall-clock ``now``); return the desk's members, oldest first."""
        with _storage_errors("update the desk's members"):
            async with self._write() as conn:
                return await desk.beat(conn, me, now, stale_s)

    async def desk_leave(self, member_id: str) -> None:
        """Take ``member_id`` off the desk."""
        with _storage_errors("leave the desk"):
            async with self._write() as conn:
                await desk.leave(conn, member_id)

    # -- upkeep ---------------------------------------------------------------------------

    async def size_report(self) -> list[SizeRow]:
        """Candles held per (market, timeframe), with the first and last start; by market."""
        with _storage_errors("measure the database"):
            async with self._read() as conn:
                return await maintenance.size_rows(conn)

    async def database_size(self) -> int:
        """Bytes the store takes (SQLite: the file's pages; PostgreSQL: its tables and indexes)."""
        with _storage_errors("measure the database"):
            async with self._read() as conn:
                return await maintenance.database_bytes(conn)

    async def count_trades(self, market: str | None = None) -> int:
        """Trades stored, for one market or all."""
        if market is not None:
            market = check_market(market)
        with _storage_errors("count trades"):
            async with self._read() as conn:
                return await maintenance.count_trades(conn, market)

    async def vacuum(self) -> None:
        """Give free pages back (SQLite VACUUM, PostgreSQL VACUUM ANALYZE). May take a while."""
        await self._ensure_open()
        if self._one_connection:
            return  # an in-memory database has no file to shrink
        with _storage_errors("vacuum the database"):
            if self._sqlite:
                async with self._write_lock:
                    await maintenance.vacuum(self._url)
            else:
                await maintenance.vacuum(self._url)

    async def delete_market(self, market: str) -> int:
        """Delete a market's candles, coverage and trades; return the rows deleted."""
        market = check_market(market)
        self.hot.drop_market(market)
        with _storage_errors(f"delete {market}"):
            async with self._write() as conn:
                return await maintenance.delete_market_rows(conn, market)

    async def check_writable(self) -> bool:
        """True when a small write commits now (health check); False, logged, otherwise."""
        try:
            async with self._write() as conn:
                await maintenance.touch_health_row(conn, self._clock())
        except (SQLAlchemyError, OSError, StorageError) as exc:
            log.warning("storage is not writable: %s", exc)
            return False
        return True

    # -- internals ------------------------------------------------------------------------

    async def _ensure_open(self) -> tuple[AsyncEngine, AsyncEngine]:
        if self._engine is None or self._writer is None:
            await self.open()
        assert self._engine is not None and self._writer is not None
        return self._engine, self._writer

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncConnection]:
        engine, _ = await self._ensure_open()
        if self._one_connection:
            async with self._write_lock, engine.connect() as conn:
                yield conn
        else:
            async with engine.connect() as conn:
                yield conn

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        _, writer = await self._ensure_open()
        if self._sqlite:
            # SQLite has one writer at a time anyway; queueing here keeps waiting on the loop
            # (fair, cancellable) instead of in the driver's busy handler.
            async with self._write_lock, writer.begin() as conn:
                yield conn
        else:
            async with writer.begin() as conn:
                yield conn

    async def _fetch(self, query: Any, action: str) -> list[Any]:
        """Rows of one Core select as the driver's own tuples (see ``_fetch_many``)."""
        return (await self._fetch_many((query,), action))[0]

    async def _fetch_many(self, queries: Sequence[Any], action: str) -> list[list[Any]]:
        """Rows of several Core selects, on one connection, as the driver's own tuples.

        Every column we read is an integer, a float or a short string that the drivers
        already return as Python values, so the rows skip SQLAlchemy's per-row Row
        objects: on 130,000 candles that is most of the read time.
        """
        with _storage_errors(action):
            async with self._read() as conn:
                out = []
                for query in queries:
                    result = await conn.execute(query)
                    try:
                        cursor = result.cursor
                        out.append(list(cursor.fetchall()) if cursor is not None else list(result.all()))
                    finally:
                        result.close()
                return out

    async def _series_id(self, market: str, tf: Timeframe) -> int:
        key = (market, tf.code)
        cached = self._series_ids.get(key)
        if cached is not None:
            return cached
        with _storage_errors(f"register {market} {tf.code}"):
            async with self._write() as conn:
                insert_fn = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
                await conn.execute(
                    insert_fn(series)
                    .values(market=market, timeframe=tf.code)
                    .on_conflict_do_nothing()
                )
                found = await conn.execute(
                    select(series.c.id).where(
                        series.c.market == market, series.c.timeframe == tf.code
                    )
                )
                series_id = int(found.scalar_one())
        self._series_ids[key] = series_id
        return series_id

    async def _lock_series(self, conn: AsyncConnection, series_id: int) -> None:
        if self._sqlite:
            return  # BEGIN IMMEDIATE already holds the database's write lock
        locked = await conn.execute(
            select(series.c.id).where(series.c.id == series_id).with_for_update()
        )
        if locked.scalar() is None:
            self._series_ids.clear()
            raise StorageError(
                f"candle series {series_id} vanished from the database; retry the write"
            )

    def _coverage_span(self, tf: Timeframe, covered: TimeRange) -> Interval | None:
        if not isinstance(covered, tuple | list) or len(covered) != 2:
            raise InvalidInputError(
                "INVALID_RANGE",
                "covered",
                f"covered must be a (start, end) pair of datetimes, not {covered!r}",
            )
        start, end = check_range(covered[0], covered[1], "covered[0]", "covered[1]")
        lo, hi = _aligned_ms(tf, start, end)
        forming = utc_to_ms(tf.floor(self._clock()))
        hi = min(hi, forming)
        return (lo, hi) if lo < hi else None


def _aligned_ms(tf: Timeframe, start: datetime, end: datetime) -> Interval:
    try:
        return utc_to_ms(tf.ceil(start)), utc_to_ms(tf.ceil(end))
    except (OverflowError, ValueError) as exc:
        raise InvalidInputError(
            "INVALID_RANGE", "start", f"range {start} .. {end} is out of bounds: {exc}"
        ) from exc


def _most_candles(tf: Timeframe, start: datetime, end: datetime) -> int:
    """How many candles ``[start, end)`` can hold at most (without asking the database)."""
    lo, hi = _aligned_ms(tf, start, end)
    if tf.calendar:
        return tf.count_between(ms_to_utc(lo), ms_to_utc(hi))
    return max(0, (hi - lo) // (tf.seconds * 1000))


def _as_datetimes(interval: Interval) -> TimeRange:
    return ms_to_utc(interval[0]), ms_to_utc(interval[1])


@contextmanager
def _storage_errors(action: str) -> Iterator[None]:
    """Database and file errors become StorageError; our own typed errors pass through."""
    try:
        yield
    except (SQLAlchemyError, OSError) as exc:
        raise StorageError(f"could not {action}: {exc}") from exc
