"""A live bot's CRITICAL candles: from the candle stream plus storage, REST only when unsure."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from backbone import InvalidInputError, MarketDataBackbone, Priority
from backbone.domain.models import utc_now
from backbone.domain.timeframes import TIMEFRAMES
from backbone.sim import ExchangeSimulator
from tests.coordinator.helpers import direct_candles

# Four-hour candles: a test lasting seconds keeps clear of a slot edge.
H4 = TIMEFRAMES["240m"]
COLUMNS = ("start_ms", "open", "high", "low", "close", "volume", "value")


def candle_calls(sim: ExchangeSimulator) -> int:
    return sim.stats.calls["candle"]


async def test_a_subscribed_stream_and_stored_history_answer_critical_candles_without_rest(
    simulator: ExchangeSimulator, backbone: MarketDataBackbone
) -> None:
    stored = await backbone.get_candle_data("KRW-BTC", "240m", count=30, priority=Priority.NORMAL)
    assert stored.success
    async with backbone.subscribe_candles("KRW-BTC", "240m") as stream:
        streamed = await anext(stream)  # the stream is live: its snapshot has arrived
        simulator.stats.reset()
        answer = await backbone.get_candle_data("KRW-BTC", "240m", count=20, priority=Priority.CRITICAL)
        assert candle_calls(simulator) == 0
        assert answer.metadata.channel == "websocket" and answer.metadata.upstream_calls == 0
        candles = answer.candles
        assert candles is not None and len(candles) == 20
        assert candles.to_upbit()[-1]["candle_date_time_utc"] == streamed["candle_date_time_utc"]
        since = H4.shift(H4.floor(utc_now()), -5)
        ranged = await backbone.get_candle_data("KRW-BTC", "240m", start_time=since, priority=Priority.CRITICAL)
        assert ranged.metadata.channel == "websocket" and candle_calls(simulator) == 0
        assert ranged.candles is not None and len(ranged.candles) == 6
        assert ranged.candles[:-1].equals(candles[-6:-1])  # the closed ones; the forming one may move
        truth = await direct_candles(
            simulator, "KRW-BTC", H4, H4.shift(H4.floor(utc_now()), -19), utc_now() + timedelta(hours=4)
        )
        exact = [c for c in truth if c.start < H4.floor(utc_now())]  # the forming candle moves on
        got = candles.to_candles()
        assert [(c.start, c.open, c.high, c.low, c.close, c.volume) for c in got[: len(exact)]] == [
            (c.start, c.open, c.high, c.low, c.close, c.volume) for c in exact
        ]
        assert got[-1].start == truth[-1].start and got[-1].open == truth[-1].open


async def test_without_complete_storage_or_a_stream_critical_candles_go_to_rest(
    simulator: ExchangeSimulator, backbone: MarketDataBackbone
) -> None:
    simulator.stats.reset()
    async with backbone.subscribe_candles("KRW-BTC", "240m") as stream:
        await anext(stream)
        # Nothing stored yet: the stream alone cannot prove the closed candles.
        answer = await backbone.get_candle_data("KRW-BTC", "240m", count=5, priority=Priority.CRITICAL)
        assert answer.metadata.channel == "rest" and candle_calls(simulator) == 1
        await asyncio.gather(*backbone._writes)
        # Storage now reaches back 4 closed candles, not 19: still REST.
        answer = await backbone.get_candle_data("KRW-BTC", "240m", count=20, priority=Priority.CRITICAL)
        assert answer.metadata.channel == "rest" and candle_calls(simulator) == 2
        await asyncio.gather(*backbone._writes)
    # Unsubscribed: no live candle to trust, whatever storage holds.
    answer = await backbone.get_candle_data("KRW-BTC", "240m", count=5, priority=Priority.CRITICAL)
    assert answer.metadata.channel == "rest" and candle_calls(simulator) == 3


async def test_a_running_bot_needs_rest_once_then_the_stream_and_what_that_call_stored(
    simulator: ExchangeSimulator, backbone: MarketDataBackbone
) -> None:
    async with backbone.subscribe_candles("KRW-ETH", "240m") as stream:
        await anext(stream)
        simulator.stats.reset()
        first = await backbone.get_candle_data("KRW-ETH", "240m", count=20, priority=Priority.CRITICAL)
        assert first.metadata.channel == "rest" and candle_calls(simulator) == 1
        await asyncio.gather(*backbone._writes)  # the closed candles it fetched, stored after answering
        for _ in range(3):
            again = await backbone.get_candle_data("KRW-ETH", "240m", count=20, priority=Priority.CRITICAL)
            assert again.metadata.channel == "websocket"
            assert again.candles is not None and first.candles is not None
            assert again.candles[:-1].equals(first.candles[:-1])
        assert candle_calls(simulator) == 1


async def test_a_timeframe_without_a_stream_is_refused_by_name(backbone: MarketDataBackbone) -> None:
    with pytest.raises(InvalidInputError) as caught:
        backbone.subscribe_candles("KRW-BTC", "1d")
    assert caught.value.field == "timeframe" and "240m" in str(caught.value)
