"""Schema version, connection settings, URL resolution and upkeep (size, vacuum, health)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from backbone.domain.errors import InvalidInputError, SchemaVersionError, StorageError
from backbone.domain.timeframes import parse_timeframe
from backbone.storage import SCHEMA_VERSION, MarketStore, default_db_url, resolve_db_url
from backbone.storage.engine import create_engine
from tests.storage.conftest import MINUTE, T0, make_candles, minutes


async def read_version(url: str) -> str:
    engine = create_engine(resolve_db_url(url))
    try:
        async with engine.connect() as conn:
            result = await conn.execute(
                text("SELECT value FROM store_meta WHERE key = 'schema_version'")
            )
            return str(result.scalar_one())
    finally:
        await engine.dispose()


async def set_version(url: str, version: str) -> None:
    engine = create_engine(resolve_db_url(url))
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE store_meta SET value = :v WHERE key = 'schema_version'"),
                {"v": version},
            )
    finally:
        await engine.dispose()


async def test_first_open_creates_the_schema_and_its_version_row(db_url: str) -> None:
    async with MarketStore(db_url) as store:
        assert store.is_open
    assert await read_version(db_url) == str(SCHEMA_VERSION)


async def test_open_and_close_are_idempotent_and_data_survives_reopening(db_url: str) -> None:
    store = MarketStore(db_url)
    await store.open()
    await store.open()
    await store.write_candles(
        "KRW-BTC", MINUTE, make_candles(range(3)), covered=(T0, T0 + minutes(3))
    )
    await store.close()
    await store.close()

    async with MarketStore(db_url) as again:
        assert len(await again.read_candles("KRW-BTC", MINUTE, T0, T0 + minutes(3))) == 3
        assert await again.missing("KRW-BTC", MINUTE, T0, T0 + minutes(3)) == []


async def test_a_store_opens_itself_on_first_use(db_url: str) -> None:
    store = MarketStore(db_url)
    try:
        assert await store.missing("KRW-BTC", MINUTE, T0, T0 + minutes(1)) == [
            (T0, T0 + minutes(1))
        ]
    finally:
        await store.close()


async def test_a_database_from_a_newer_app_is_refused_untouched(db_url: str) -> None:
    async with MarketStore(db_url) as store:
        await store.write_candles("KRW-BTC", MINUTE, make_candles(range(2)))
    newer = str(SCHEMA_VERSION + 1)
    await set_version(db_url, newer)

    store = MarketStore(db_url)
    with pytest.raises(SchemaVersionError) as caught:
        await store.open()
    assert caught.value.code == "STORAGE_SCHEMA_TOO_NEW"
    assert "newer version" in caught.value.message
    with pytest.raises(SchemaVersionError):
        await store.read_candles("KRW-BTC", MINUTE, T0, T0 + minutes(2))
    await store.close()
    assert await read_version(db_url) == newer


async def test_a_garbled_version_row_is_refused(db_url: str) -> None:
    async with MarketStore(db_url):
        pass
    await set_version(db_url, "not-a-number")
    with pytest.raises(SchemaVersionError):
        await MarketStore(db_url).open()


async def test_sqlite_connections_use_wal_and_the_safety_pragmas(tmp_path: Path) -> None:
    async with MarketStore(tmp_path / "p.sqlite3") as store:
        async with store._read() as conn:  # the store's own connection settings
            values = {
                name: (await conn.execute(text(f"PRAGMA {name}"))).scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
    assert values == {
        "journal_mode": "wal",
        "synchronous": 1,
        "foreign_keys": 1,
        "busy_timeout": 30_000,
    }


def test_urls_paths_and_the_environment_resolve_to_async_drivers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "x.sqlite3"
    assert resolve_db_url(str(path)) == f"sqlite+aiosqlite:///{path}"
    assert resolve_db_url(f"sqlite:///{path}") == f"sqlite+aiosqlite:///{path}"
    assert (
        resolve_db_url("postgresql://u:p@db.example:5432/md")
        == "postgresql+asyncpg://u:p@db.example:5432/md"
    )
    assert resolve_db_url("postgres://u@h/md") == "postgresql+asyncpg://u@h/md"

    monkeypatch.setenv("UPBIT_BACKBONE_DB", str(path))
    assert default_db_url() == resolve_db_url(None) == f"sqlite+aiosqlite:///{path}"
    assert MarketStore().url == f"sqlite+aiosqlite:///{path}"

    monkeypatch.delenv("UPBIT_BACKBONE_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert (
        default_db_url()
        == f"sqlite+aiosqlite:///{tmp_path / 'data' / 'upbit-backbone' / 'market_data.sqlite3'}"
    )


@pytest.mark.parametrize("url", ["", "mysql://u@h/db", "http://example.com/db"])
def test_unsupported_urls_name_the_url_field(url: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        MarketStore(url)
    assert caught.value.field == "url"


async def test_a_fresh_file_in_a_new_directory_is_created(tmp_path: Path) -> None:
    async with MarketStore(tmp_path / "deep" / "er" / "md.sqlite3") as store:
        assert await store.check_writable()
    assert (tmp_path / "deep" / "er" / "md.sqlite3").exists()


async def test_size_report_vacuum_and_health(store: MarketStore) -> None:
    await store.write_candles("KRW-ETH", MINUTE, make_candles(range(10), market="KRW-ETH"))
    await store.write_candles(
        "KRW-BTC", "5m", make_candles(range(4), timeframe=parse_timeframe("5m"))
    )
    await store.write_candles("KRW-BTC", MINUTE, make_candles(range(2_000)))

    report = await store.size_report()
    assert [(r.market, r.timeframe, r.candles) for r in report] == [
        ("KRW-BTC", "1m", 2_000),
        ("KRW-BTC", "5m", 4),
        ("KRW-ETH", "1m", 10),
    ]
    size_full = await store.database_size()
    assert size_full > 0

    await store.delete_market("KRW-BTC")
    await store.vacuum()
    assert [r.market for r in await store.size_report()] == ["KRW-ETH"]
    if store.dialect == "sqlite":
        assert await store.database_size() < size_full
    assert await store.check_writable()
    # The store still works after VACUUM.
    await store.write_candles("KRW-BTC", MINUTE, make_candles(range(3)))
    assert len(await store.read_candles("KRW-BTC", MINUTE, T0, T0 + minutes(3))) == 3


async def test_an_unusable_location_is_reported_not_writable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    store = MarketStore(blocker / "md.sqlite3")
    assert await store.check_writable() is False
    with pytest.raises(StorageError):
        await store.open()


async def test_an_in_memory_database_serves_concurrent_tasks() -> None:
    import asyncio

    async with MarketStore("sqlite+aiosqlite://") as store:

        async def write(lo: int) -> None:
            candles = make_candles(range(lo, lo + 50))
            await store.write_candles(
                "KRW-BTC", MINUTE, candles, covered=(T0 + minutes(lo), T0 + minutes(lo + 50))
            )

        async def read() -> int:
            return len(await store.read_candles("KRW-BTC", MINUTE, T0, T0 + minutes(500)))

        await asyncio.gather(*(write(lo) for lo in range(0, 500, 50)), *(read() for _ in range(10)))
        assert await read() == 500
        assert await store.missing("KRW-BTC", MINUTE, T0, T0 + minutes(500)) == []
        await store.vacuum()
        assert await store.check_writable()
