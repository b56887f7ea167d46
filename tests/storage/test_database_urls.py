"""What ``--db`` and ``db_url`` accept: a plain path is a path, SQLite URIs are honoured or refused clearly,
bad URLs are ``INVALID_DB_URL``, and a password is never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from backbone import MarketDataBackbone
from backbone.domain.errors import InvalidInputError
from backbone.storage import MarketStore
from backbone.storage.engine import display_url, resolve_db_url


async def test_a_plain_path_with_url_characters_is_the_file_it_names(tmp_path: Path) -> None:
    wanted = tmp_path / "dir" / "we?ird#name%1.sqlite"
    store = MarketStore(str(wanted))
    await store.open()
    assert await store.check_writable()
    await store.close()
    files = sorted(p.name for p in wanted.parent.iterdir() if not p.name.endswith(("-wal", "-shm")))
    assert files == [wanted.name]


async def test_a_sqlite_file_uri_with_options_opens_that_file_and_makes_no_uri_named_directories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "data" / "cache.sqlite"
    store = MarketStore(f"sqlite:///file:{target}?mode=rwc&cache=private")
    await store.open()
    assert await store.check_writable()
    await store.close()
    assert target.is_file()
    assert not any("file:" in str(p) for p in tmp_path.rglob("*"))  # noqa: ASYNC240 - inspected after close


@pytest.mark.parametrize("options", ["mode=ro", "immutable=1", "mode=ro&uri=true"])
def test_a_read_only_sqlite_uri_is_refused_before_anything_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidInputError, match="read-only") as caught:
        MarketStore(f"sqlite:///file:{tmp_path / 'x' / 'ro.sqlite'}?{options}")
    assert caught.value.code == "INVALID_DB_URL"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("url", "mentions"),
    [
        ("mysql://user:s3cret@localhost/db", "mysql"),
        ("postgresql://user:s3cret@localhost:fivefour/db", "port"),
        ("postgresql+asyncpg://user:s3cret@localhost:99999999999/db", "port"),
    ],
    ids=["unsupported-scheme", "non-numeric-port", "port-out-of-range"],
)
def test_a_bad_database_url_is_invalid_db_url_without_its_password(url: str, mentions: str) -> None:
    for build in (MarketStore, lambda u: MarketDataBackbone("http://127.0.0.1:9/v1", "ws://127.0.0.1:9/ws", u)):
        with pytest.raises(InvalidInputError) as caught:
            build(url)
        assert caught.value.code == "INVALID_DB_URL"
        assert mentions in str(caught.value).lower()
        assert "s3cret" not in str(caught.value)


def test_a_postgresql_password_is_masked_wherever_the_url_is_shown() -> None:
    url = "postgresql://trader:s3cret@db.example:5432/market"
    assert "s3cret" not in MarketStore(url).url
    assert MarketStore(url).url == "postgresql+asyncpg://trader:***@db.example:5432/market"
    assert "s3cret" in resolve_db_url(url)  # the engine still gets it
    assert display_url("postgresql+asyncpg://a:b@h:notaport/d") == "postgresql+asyncpg://a:***@h:notaport/d"
