"""The tables, declared once in SQLAlchemy Core, and the schema version that guards them.

Layout:

* ``candle_series``: one row per (market, timeframe); its small integer id keys the
  candle and coverage rows (shorter keys, and a row to lock while merging coverage).
* ``candles``: OHLCV per (series, start ms); ``WITHOUT ROWID`` on SQLite so the primary key
  is the table itself.
* ``candle_coverage``: half-open ``[start_ms, end_ms)`` ranges known complete, merged.
* ``trades``: one row per (market, Upbit ``sequential_id``), indexed by time.
* ``store_meta``: key/value rows, among them ``schema_version``.
* ``desk_members``: one row per app process sharing this database and so its address at
  the exchange, rewritten every beat (see :mod:`backbone.storage.desk`).

A database written by a newer schema is refused before anything is created or changed.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    inspect,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from backbone.domain.errors import SchemaVersionError

SCHEMA_VERSION = 1
VERSION_KEY = "schema_version"

metadata = MetaData()

meta = Table(
    "store_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(255), nullable=False),
)

series = Table(
    "candle_series",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("market", String(40), nullable=False),
    Column("timeframe", String(8), nullable=False),
    UniqueConstraint("market", "timeframe", name="uq_candle_series_market_timeframe"),
)

candles = Table(
    "candles",
    metadata,
    Column("series_id", Integer, ForeignKey("candle_series.id"), primary_key=True),
    Column("start_ms", BigInteger, primary_key=True),
    Column("open", Double, nullable=False),
    Column("high", Double, nullable=False),
    Column("low", Double, nullable=False),
    Column("close", Double, nullable=False),
    Column("volume", Double, nullable=False),
    Column("value", Double, nullable=False),
    Column("last_trade_ms", BigInteger, nullable=False),
    Column("prev_closing_price", Double, nullable=True),
    Column("change_price", Double, nullable=True),
    Column("change_rate", Double, nullable=True),
    sqlite_with_rowid=False,
)

coverage = Table(
    "candle_coverage",
    metadata,
    Column("series_id", Integer, ForeignKey("candle_series.id"), primary_key=True),
    Column("start_ms", BigInteger, primary_key=True),
    Column("end_ms", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

trades = Table(
    "trades",
    metadata,
    Column("market", String(40), primary_key=True),
    Column("sequential_id", BigInteger, primary_key=True),
    Column("timestamp_ms", BigInteger, nullable=False),
    Column("trade_price", Double, nullable=False),
    Column("trade_volume", Double, nullable=False),
    Column("prev_closing_price", Double, nullable=False),
    Column("change_price", Double, nullable=False),
    Column("ask_bid", String(3), nullable=False),
    Index("ix_trades_market_time", "market", "timestamp_ms"),
    sqlite_with_rowid=False,
)

desk_members = Table(
    "desk_members",
    metadata,
    Column("member_id", String(64), primary_key=True),
    Column("started_at", Double, nullable=False),  # seconds since the epoch
    Column("seen_at", Double, nullable=False),  # the member's last beat, seconds since the epoch
    Column("busy", Boolean, nullable=False),
)

# Candle columns in the order read_candles selects them.
CANDLE_VALUE_COLUMNS = (
    candles.c.start_ms,
    candles.c.open,
    candles.c.high,
    candles.c.low,
    candles.c.close,
    candles.c.last_trade_ms,
    candles.c.value,
    candles.c.volume,
    candles.c.prev_closing_price,
    candles.c.change_price,
    candles.c.change_rate,
)

# Any constant works; it only has to be the same in every process sharing a PostgreSQL.
PG_SCHEMA_LOCK_KEY = 0x55_70_62_69_74_00_01


async def read_schema_version(conn: AsyncConnection) -> int | None:
    """The stored schema version, or None for a database we have never written."""
    exists = await conn.run_sync(lambda sync: inspect(sync).has_table(meta.name))
    if not exists:
        return None
    raw = (await conn.execute(select(meta.c.value).where(meta.c.key == VERSION_KEY))).scalar()
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise SchemaVersionError(
            f"the database's schema version {raw!r} is not a number; it was not written by this app"
        ) from None


async def ensure_schema(conn: AsyncConnection) -> int:
    """Create the tables and the version row on first use; refuse a newer schema.

    Runs inside the caller's write transaction (DDL is transactional on both SQLite and
    PostgreSQL), so two processes opening a fresh database at once cannot half-create it.
    """
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_SCHEMA_LOCK_KEY})
    version = await read_schema_version(conn)
    if version is not None and version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"the database was written by a newer version of the app (schema {version}; this "
            f"version understands up to {SCHEMA_VERSION}); upgrade the app or use another database"
        )
    await conn.run_sync(metadata.create_all)
    if version is None:
        await conn.execute(meta.insert().values(key=VERSION_KEY, value=str(SCHEMA_VERSION)))
    elif version < SCHEMA_VERSION:
        # Version 1 is the first schema; later versions migrate here, step by step.
        await conn.execute(
            meta.update().where(meta.c.key == VERSION_KEY).values(value=str(SCHEMA_VERSION))
        )
    return SCHEMA_VERSION
