"""A bounded in-memory cache for short-lived quotes (tickers, orderbooks, recent trades).

These values go stale within a second, so they never touch the database. Each kind
has its own time to live; the cache holds at most ``max_entries`` values across all
kinds and evicts the least recently used one when full. Time comes from a monotonic
clock, so a wall-clock change cannot make stale quotes look fresh.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from backbone.domain.errors import InvalidInputError

DEFAULT_TTL_S: Mapping[str, float] = {"ticker": 1.0, "orderbook": 0.5, "trade": 0.5}
FALLBACK_TTL_S = 1.0  # for a kind not named in ttl_s
_EVICTION_SCAN = 8


@dataclass(slots=True)
class _Entry:
    value: Any
    expires_at: float


@dataclass(slots=True)
class _Counters:
    hits: int = 0
    misses: int = 0
    evictions: int = 0
    expirations: int = 0


class MemoryCache:
    """Per-kind TTL cache with LRU eviction and hit/miss counters.

    ``ttl_s`` overrides the defaults per kind (ticker 1.0 s, orderbook 0.5 s, trade 0.5 s);
    other kinds live ``FALLBACK_TTL_S``. Not thread-safe: use it from the event loop.
    """

    def __init__(
        self,
        ttl_s: Mapping[str, float] | None = None,
        max_entries: int = 10_000,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise InvalidInputError(
                "INVALID_CACHE_SIZE",
                "max_entries",
                f"max_entries must be a whole number >= 1, not {max_entries!r}",
            )
        self._ttl: dict[str, float] = dict(DEFAULT_TTL_S)
        for kind, seconds in (ttl_s or {}).items():
            self._ttl[kind] = _check_ttl(seconds, f"ttl_s[{kind!r}]")
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._counters: dict[str, _Counters] = {}
        self._sizes: dict[str, int] = {}

    def ttl(self, kind: str) -> float:
        """Seconds a value of ``kind`` stays fresh."""
        return self._ttl.get(kind, FALLBACK_TTL_S)

    def get(self, kind: str, key: str) -> Any | None:
        """The fresh value stored under (kind, key), or None (counted as a miss)."""
        counters = self._count(kind)
        entry = self._entries.get((kind, key))
        if entry is None:
            counters.misses += 1
            return None
        if self._clock() >= entry.expires_at:
            self._remove((kind, key))
            counters.expirations += 1
            counters.misses += 1
            return None
        self._entries.move_to_end((kind, key))
        counters.hits += 1
        return entry.value

    def put(self, kind: str, key: str, value: Any, ttl_s: float | None = None) -> None:
        """Store ``value``; it stays fresh for ``ttl_s`` or the kind's time to live."""
        seconds = self.ttl(kind) if ttl_s is None else _check_ttl(ttl_s, "ttl_s")
        slot = (kind, key)
        if slot in self._entries:
            self._entries.move_to_end(slot)
        else:
            self._sizes[kind] = self._sizes.get(kind, 0) + 1
            self._count(kind)
        self._entries[slot] = _Entry(value, self._clock() + seconds)
        while len(self._entries) > self.max_entries:
            self._evict_one()

    def invalidate(self, kind: str, key: str | None = None) -> int:
        """Drop one key, or every key of ``kind`` when ``key`` is None; return how many."""
        if key is not None:
            return int(self._remove((kind, key)))
        doomed = [slot for slot in self._entries if slot[0] == kind]
        for slot in doomed:
            self._remove(slot)
        return len(doomed)

    def clear(self) -> None:
        """Drop every value (counters are kept)."""
        self._entries.clear()
        self._sizes.clear()

    def purge_expired(self) -> int:
        """Drop every stale value now rather than when next asked for; return how many."""
        now = self._clock()
        doomed = [slot for slot, entry in self._entries.items() if now >= entry.expires_at]
        for slot in doomed:
            self._remove(slot)
            self._count(slot[0]).expirations += 1
        return len(doomed)

    def __len__(self) -> int:
        return len(self._entries)

    def stats(self) -> dict[str, dict[str, int]]:
        """Per kind: hits, misses, entries (held now), evictions, expirations."""
        return {
            kind: {
                "hits": c.hits,
                "misses": c.misses,
                "entries": self._sizes.get(kind, 0),
                "evictions": c.evictions,
                "expirations": c.expirations,
            }
            for kind, c in self._counters.items()
        }

    def hit_ratio(self) -> float | None:
        """Hits over lookups across every kind, or None before the first lookup."""
        hits = sum(c.hits for c in self._counters.values())
        total = hits + sum(c.misses for c in self._counters.values())
        return hits / total if total else None

    def _count(self, kind: str) -> _Counters:
        counters = self._counters.get(kind)
        if counters is None:
            counters = self._counters[kind] = _Counters()
        return counters

    def _remove(self, slot: tuple[str, str]) -> bool:
        if self._entries.pop(slot, None) is None:
            return False
        self._sizes[slot[0]] -= 1
        return True

    def _evict_one(self) -> None:
        # An expired value among the oldest few goes first, else the least recently used;
        # the scan is short so that a put on a full cache stays O(1).
        now = self._clock()
        victim = next(iter(self._entries))
        for index, (slot, entry) in enumerate(self._entries.items()):
            if now >= entry.expires_at:
                victim = slot
                break
            if index >= _EVICTION_SCAN:
                break
        self._remove(victim)
        self._count(victim[0]).evictions += 1


def _check_ttl(seconds: object, field: str) -> float:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
        raise InvalidInputError(
            "INVALID_TTL", field, f"{field} must be a number of seconds > 0, not {seconds!r}"
        )
    return float(seconds)
