"""Layer 2, storage: candles with coverage and trades in SQLite or PostgreSQL, quotes in memory.

A passive store: it never touches the network. ``MarketStore`` is the entry object;
``MemoryCache`` holds short-lived tickers and orderbooks.
"""

from backbone.storage.engine import default_db_url, resolve_db_url
from backbone.storage.maintenance import SizeRow
from backbone.storage.memory_cache import MemoryCache
from backbone.storage.schema import SCHEMA_VERSION
from backbone.storage.store import MarketStore

__all__ = [
    "SCHEMA_VERSION",
    "MarketStore",
    "MemoryCache",
    "SizeRow",
    "default_db_url",
    "resolve_db_url",
]
