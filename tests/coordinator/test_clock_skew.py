"""What is closed is decided by the exchange's clock: a local clock off by seconds stores nothing forming."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from backbone.coordinator import CandleRequest, Coordinator
from backbone.domain.clock import ms_to_utc
from backbone.domain.models import Candle, utc_now
from backbone.router import SmartRouter
from backbone.storage import MarketStore, MemoryCache
from tests.coordinator.helpers import M1, ExchangeClock, direct_candles


async def busy_minute(sim: Any, clock: ExchangeClock, minute: datetime) -> tuple[str, Candle]:
    """A market whose candle at ``minute`` still changes after the clock's time: (market, final candle)."""
    for market in sim.market_codes("KRW")[:40]:
        forming = await direct_candles(sim, market, M1, minute, minute + timedelta(minutes=1))
        clock.advance(65)
        final = await direct_candles(sim, market, M1, minute, minute + timedelta(minutes=1))
        clock.advance(-65)
        if forming and final and (forming[0].close, forming[0].volume) != (final[0].close, final[0].volume):
            return market, final[0]
    raise AssertionError("no simulated market traded in the last 1.5 s of the minute")


@pytest.fixture
async def parts(simulator: Any, tmp_path: Path) -> AsyncIterator[tuple[SmartRouter, MarketStore]]:
    router = SmartRouter(simulator.rest_url, simulator.ws_url)
    store = MarketStore(str(tmp_path / "skew.db"))
    await router.start()
    await store.open()
    yield router, store
    await store.close()
    await router.stop()


@pytest.mark.parametrize("skew_s", [3.0, -3.0], ids=["local-clock-ahead", "local-clock-behind"])
async def test_a_skewed_local_clock_never_stores_the_forming_minute_as_closed(
    simulator: Any, parts: tuple[SmartRouter, MarketStore], skew_s: float
) -> None:
    minute = M1.floor(utc_now()) - timedelta(minutes=30)
    exchange = ExchangeClock(minute + timedelta(seconds=58.5))
    simulator.rest.clock = exchange
    market, final = await busy_minute(simulator, exchange, minute)

    router, store = parts
    local_clock = lambda: ms_to_utc(exchange.ms) + timedelta(seconds=skew_s)  # noqa: E731
    cache = MemoryCache(clock=lambda: exchange.ms / 1000)  # its time to live runs with the exchange
    coordinator = Coordinator(router, store, cache, clock=local_clock)
    try:
        first = await coordinator.get_candles(CandleRequest(market, M1, count=5))
        assert first.candles.to_candles()[-1].start == minute  # still forming at hh:mm:58.5 on the exchange

        exchange.advance(65)  # the exchange closes that minute and moves on
        again = await coordinator.get_candles(CandleRequest(market, M1, count=5))
    finally:
        await coordinator.close()

    served = {c.start: c for c in again.candles.to_candles()}
    assert minute in served
    assert (served[minute].close, served[minute].volume) == (final.close, final.volume)
    stored = await store.read_candles(market, M1, minute, minute + timedelta(minutes=1))
    assert [(c.close, c.volume) for c in stored.to_candles()] in ([], [(final.close, final.volume)])
