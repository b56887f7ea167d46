"""Hot series in memory: complete spans are re-read from memory, never anything that could change."""

from __future__ import annotations

from pathlib import Path

from backbone.domain.candle_columns import CandleColumns
from backbone.storage import MarketStore
from backbone.storage.candle_cache import CandleCache
from tests.storage.conftest import MINUTE, T0, make_candle, make_candles, minutes


async def test_a_read_inside_a_complete_span_is_served_from_memory(store: MarketStore) -> None:
    candles = make_candles(range(0, 600, 2))
    await store.write_candles("KRW-BTC", MINUTE, candles, covered=(T0, T0 + minutes(600)))

    first = await store.read_candles("KRW-BTC", MINUTE, T0, T0 + minutes(600))
    hits = store.hot.hits
    again = await store.read_candles("KRW-BTC", MINUTE, T0 + minutes(100), T0 + minutes(200))

    assert store.hot.hits == hits + 1
    assert again.to_candles() == candles[50:100]
    assert again.equals(first.between(*(int((T0 + minutes(m)).timestamp() * 1000) for m in (100, 200))))


async def test_a_range_without_coverage_is_never_held(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    async with MarketStore(path) as ours, MarketStore(path) as theirs:
        await ours.write_candles("KRW-BTC", MINUTE, make_candles(range(5)))
        assert len(await ours.read_candles("KRW-BTC", MINUTE, T0, T0 + minutes(10))) == 5
        # Another process fills the rest of the range: our next read must see it.
        await theirs.write_candles("KRW-BTC", MINUTE, make_candles(range(5, 10)), covered=(T0, T0 + minutes(10)))

        got = await ours.read_candles("KRW-BTC", MINUTE, T0, T0 + minutes(10))

        assert got.to_candles() == make_candles(range(10))


async def test_an_upsert_inside_a_held_span_is_seen_by_the_next_read(store: MarketStore) -> None:
    await store.write_candles("KRW-BTC", MINUTE, make_candles(range(10)), covered=(T0, T0 + minutes(10)))
    await store.read_candles("KRW-BTC", MINUTE, T0, T0 + minutes(10))
    revised = make_candle(4, price=1.0)

    await store.write_candles("KRW-BTC", MINUTE, [revised])
    hits = store.hot.hits
    got = await store.read_candles("KRW-BTC", MINUTE, T0, T0 + minutes(10))

    assert store.hot.hits == hits + 1
    assert got.to_candles()[4] == revised


async def test_deleting_a_market_drops_its_hot_series(store: MarketStore) -> None:
    await store.write_candles("KRW-BTC", MINUTE, make_candles(range(10)), covered=(T0, T0 + minutes(10)))
    await store.read_candles("KRW-BTC", MINUTE, T0, T0 + minutes(10))

    await store.delete_market("KRW-BTC")

    assert len(await store.read_candles("KRW-BTC", MINUTE, T0, T0 + minutes(10))) == 0


def test_the_cache_stays_within_its_byte_budget_dropping_the_least_recent() -> None:
    series = CandleColumns.from_candles("KRW-BTC", MINUTE, make_candles(range(100)))
    cache = CandleCache(budget_bytes=series.nbytes * 2)
    for market in ("KRW-A", "KRW-B", "KRW-C"):
        cache.offer((market, "1m"), 0, 2**62, series)
    assert cache.nbytes <= cache.budget_bytes
    assert cache.read(("KRW-A", "1m"), 0, 1) is None
    assert cache.read(("KRW-C", "1m"), 0, 2**62) is not None
    too_big = CandleCache(budget_bytes=series.nbytes - 1)
    too_big.offer(("KRW-A", "1m"), 0, 2**62, series)
    assert too_big.nbytes == 0
