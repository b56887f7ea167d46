"""MemoryCache: per-kind time to live, bounded size with LRU eviction, counters."""

from __future__ import annotations

import pytest

from backbone.domain.errors import InvalidInputError
from backbone.storage import MemoryCache


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_values_expire_after_their_kinds_time_to_live() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    cache.put("ticker", "KRW-BTC", "t")
    cache.put("orderbook", "KRW-BTC", "o")

    clock.now += 0.4
    assert cache.get("ticker", "KRW-BTC") == "t"
    assert cache.get("orderbook", "KRW-BTC") == "o"
    clock.now += 0.2  # 0.6 s: past the orderbook's 0.5 s, within the ticker's 1.0 s
    assert cache.get("orderbook", "KRW-BTC") is None
    assert cache.get("ticker", "KRW-BTC") == "t"
    clock.now += 0.5
    assert cache.get("ticker", "KRW-BTC") is None


def test_ttl_overrides_and_unknown_kinds() -> None:
    clock = FakeClock()
    cache = MemoryCache({"ticker": 5.0, "markets": 60.0}, clock=clock)
    assert (cache.ttl("ticker"), cache.ttl("orderbook"), cache.ttl("markets")) == (5.0, 0.5, 60.0)
    assert cache.ttl("something-else") == 1.0
    cache.put("trade", "KRW-BTC", [1], ttl_s=10.0)
    clock.now += 9.0
    assert cache.get("trade", "KRW-BTC") == [1]


def test_counters_count_hits_misses_entries_and_expiry() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    cache.put("ticker", "KRW-BTC", 1)
    cache.put("ticker", "KRW-ETH", 2)
    cache.get("ticker", "KRW-BTC")
    cache.get("ticker", "KRW-XRP")
    cache.get("orderbook", "KRW-BTC")
    clock.now += 2
    cache.get("ticker", "KRW-ETH")

    stats = cache.stats()
    assert stats["ticker"] == {
        "hits": 1,
        "misses": 2,
        "entries": 1,
        "evictions": 0,
        "expirations": 1,
    }
    assert stats["orderbook"]["misses"] == 1 and stats["orderbook"]["entries"] == 0
    assert cache.hit_ratio() == pytest.approx(1 / 4)


def test_a_full_cache_evicts_the_least_recently_used_value() -> None:
    cache = MemoryCache(max_entries=3, clock=FakeClock())
    for key in ("a", "b", "c"):
        cache.put("ticker", key, key)
    cache.get("ticker", "a")  # "b" is now the least recently used
    cache.put("ticker", "d", "d")

    assert len(cache) == 3
    assert cache.get("ticker", "b") is None
    assert [cache.get("ticker", k) for k in ("a", "c", "d")] == ["a", "c", "d"]
    assert cache.stats()["ticker"]["evictions"] == 1


def test_a_full_cache_drops_an_expired_value_before_a_fresh_one() -> None:
    clock = FakeClock()
    cache = MemoryCache(max_entries=2, clock=clock)
    cache.put("ticker", "old-but-fresh", 1)
    cache.put("orderbook", "stale-soon", 2)
    clock.now += 0.7  # the orderbook (0.5 s) is stale, the ticker (1.0 s) is not
    cache.put("ticker", "new", 3)
    assert cache.get("ticker", "old-but-fresh") == 1
    assert cache.stats()["orderbook"]["entries"] == 0


def test_replacing_a_value_refreshes_it_without_growing() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    cache.put("ticker", "KRW-BTC", 1)
    clock.now += 0.9
    cache.put("ticker", "KRW-BTC", 2)
    clock.now += 0.9
    assert cache.get("ticker", "KRW-BTC") == 2
    assert cache.stats()["ticker"]["entries"] == 1


def test_invalidate_clear_and_purge() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    for key in ("a", "b", "c"):
        cache.put("ticker", key, key)
    cache.put("orderbook", "a", "a")
    assert cache.invalidate("ticker", "a") == 1
    assert cache.invalidate("ticker") == 2
    clock.now += 0.6
    assert cache.purge_expired() == 1
    cache.put("trade", "x", 1)
    cache.clear()
    assert len(cache) == 0 and cache.stats()["trade"]["entries"] == 0


def test_bad_settings_name_the_field() -> None:
    with pytest.raises(InvalidInputError) as caught:
        MemoryCache(max_entries=0)
    assert caught.value.field == "max_entries"
    with pytest.raises(InvalidInputError) as caught:
        MemoryCache({"ticker": -1})
    assert caught.value.field == "ttl_s['ticker']"


def test_the_default_clock_is_monotonic_time() -> None:
    cache = MemoryCache()
    cache.put("ticker", "KRW-BTC", 1)
    assert cache.get("ticker", "KRW-BTC") == 1
