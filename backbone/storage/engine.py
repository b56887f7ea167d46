"""Where the database lives and how to connect to it: URL resolution, engine creation, pragmas.

SQLite (the default, a file in the user's data directory) and PostgreSQL (by URL,
for a desk that shares one cache) are the two supported back ends. Everything
here is SQLAlchemy's asyncio extension; no call blocks the event loop.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from platformdirs import user_data_dir
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from backbone.domain.errors import InvalidInputError

ENV_DB_URL = "UPBIT_BACKBONE_DB"
APP_DIR_NAME = "upbit-backbone"
DEFAULT_DB_FILE = "market_data.sqlite3"

# Waiting for another writer's lock happens in the driver's worker thread, never on the loop.
SQLITE_BUSY_TIMEOUT_MS = 30_000

# An execution option: write transactions on SQLite start with BEGIN IMMEDIATE so that two
# writers queue for the lock up front instead of one failing when it upgrades a read lock.
IMMEDIATE = "backbone_begin_immediate"

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
}
_SUPPORTED = ("sqlite+aiosqlite", "postgresql+asyncpg")
_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


def default_db_url() -> str:
    """The database used when none is given: ``$UPBIT_BACKBONE_DB``, else a SQLite file.

    The file lives in the user's data directory (``platformdirs.user_data_dir``), e.g.
    ``~/.local/share/upbit-backbone/market_data.sqlite3`` on Linux.
    """
    configured = os.environ.get(ENV_DB_URL, "").strip()
    if configured:
        return resolve_db_url(configured)
    return sqlite_url(Path(user_data_dir(APP_DIR_NAME)) / DEFAULT_DB_FILE)


def sqlite_url(path: Path | str) -> str:
    """The aiosqlite URL of a database file (made absolute, ``~`` expanded).

    The path is a path: ``?``, ``#`` or ``%`` in a file name are escaped, never
    read as URL syntax.
    """
    absolute = Path(path).expanduser().resolve()
    return URL.create("sqlite+aiosqlite", database=str(absolute)).render_as_string(hide_password=False)


def display_url(url: str) -> str:
    """``url`` fit to show or log: any password replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return mask_password(url)


def mask_password(text: str) -> str:
    """``text`` with the password of any ``scheme://user:password@host`` in it replaced by ``***``."""
    return _PASSWORD.sub(r"\1***@", text)


def resolve_db_url(url: str | os.PathLike[str] | None) -> str:
    """Turn what a user passed (None, a file path or any SQLAlchemy URL) into an async URL.

    ``sqlite:///x`` and ``postgresql://...`` gain their asyncio drivers; a bare path is a
    SQLite file. Anything else is an InvalidInputError naming ``url``.
    """
    if url is None:
        return default_db_url()
    text = os.fspath(url).strip() if isinstance(url, os.PathLike) else str(url).strip()
    if not text:
        raise InvalidInputError(
            "INVALID_DB_URL", "url", "url is empty; pass a file path or a database URL"
        )
    if "://" not in text:
        return sqlite_url(text)
    shown = mask_password(text)
    form = "a file path, sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER:PASSWORD@HOST:PORT/DB"
    try:
        parsed = make_url(text)
    except (ArgumentError, ValueError) as exc:
        raise InvalidInputError(
            "INVALID_DB_URL", "url", f"url {shown!r} is not a database URL ({mask_password(str(exc))}); use {form}"
        ) from None
    if parsed.port is not None and not 1 <= parsed.port <= 65535:
        raise InvalidInputError(
            "INVALID_DB_URL", "url", f"url {shown!r} has port {parsed.port}; a port is a number from 1 to 65535"
        )
    drivername = _DRIVERS.get(parsed.drivername, parsed.drivername)
    if drivername not in _SUPPORTED:
        raise InvalidInputError(
            "INVALID_DB_URL", "url", f"url scheme {parsed.drivername!r} is not supported; use {form}"
        )
    parsed = parsed.set(drivername=drivername)
    if drivername.startswith("sqlite") and parsed.database and not _is_memory(parsed):
        if _is_uri(parsed):
            parsed = _checked_uri(parsed)
        else:
            parsed = parsed.set(database=str(Path(parsed.database).expanduser().resolve()))
    return parsed.render_as_string(hide_password=False)


def _is_uri(parsed: URL) -> bool:
    return (parsed.database or "").startswith("file:")


def _checked_uri(parsed: URL) -> URL:
    """A SQLite ``file:`` URI made explicit (``uri=true``); read-only modes refused.

    The backbone writes every answer it fetches into its database, so a database
    opened read-only would fail on the first page; say so before anything opens.
    """
    options = {key: str(value).lower() for key, value in parsed.query.items()}
    if options.get("mode") == "ro" or options.get("immutable") in ("1", "true", "yes"):
        raise InvalidInputError(
            "INVALID_DB_URL",
            "url",
            "url opens the SQLite file read-only (mode=ro or immutable=1), but the backbone stores "
            "what it fetches; use mode=rw (an existing file) or mode=rwc, or leave mode out",
        )
    return parsed.update_query_dict({"uri": "true"})


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_file(url: str) -> Path | None:
    """The file behind a SQLite URL (a path or a ``file:`` URI), or None for an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or _is_memory(parsed):
        return None
    if _is_uri(parsed):
        return Path(unquote(urlsplit(parsed.database or "").path))
    return Path(parsed.database or "")


def _is_memory(parsed: URL) -> bool:
    database = parsed.database or ""
    return database in ("", ":memory:") or database.startswith("file::memory:")


def create_engine(url: str, *, maintenance: bool = False) -> AsyncEngine:
    """An async engine for ``url`` with our connection settings.

    ``maintenance=True`` gives an engine without a pool whose connections run in autocommit
    mode, for statements that refuse to run inside a transaction (VACUUM).
    """
    if is_sqlite(url):
        return _create_sqlite_engine(url, maintenance=maintenance)
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if maintenance:
        kwargs = {"poolclass": NullPool, "isolation_level": "AUTOCOMMIT"}
    return create_async_engine(url, **kwargs)


def _create_sqlite_engine(url: str, *, maintenance: bool) -> AsyncEngine:
    path = sqlite_file(url)
    if path is not None and make_url(url).query.get("mode") in (None, "rwc"):
        path.parent.mkdir(parents=True, exist_ok=True)  # mode=rw wants the file there already
    kwargs: dict[str, Any] = {}
    if maintenance:
        kwargs["poolclass"] = NullPool
    engine = create_async_engine(url, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below): the sqlite3 module's own implicit BEGIN skips
        # SELECTs and DDL, which would break both repeatable reads and transactional DDL.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if path is not None:
                cursor.execute("PRAGMA journal_mode=WAL")
            # NORMAL is durable across application crashes in WAL mode; only a power loss can
            # drop the last commits, never corrupt the file.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA temp_store=MEMORY")
        finally:
            cursor.close()

    if not maintenance:

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(conn: Connection) -> None:
            immediate = conn.get_execution_options().get(IMMEDIATE, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
