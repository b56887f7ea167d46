"""A running bot's candles across closes: the candle stream proves each close, so no REST call.

The exchange's clock is moved by the test (the simulator's REST answers and WebSocket
pushes both read it), so minutes close at once, and every claim is a count of calls
or a comparison with the exchange's own REST candles.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from backbone import MarketDataBackbone, Priority
from backbone.api.subscriptions import Subscription
from backbone.domain.clock import ms_to_utc, utc_to_ms
from backbone.domain.models import Candle, utc_now
from backbone.sim import ExchangeSimulator
from tests.coordinator.helpers import M1, ExchangeClock, direct_candles, quiet_market

BUSY = "KRW-BTC"
MINUTE = timedelta(minutes=1)
WAIT_S = 10.0  # a push comes every 0.1 s; this only bounds a broken test


def candle_calls(sim: ExchangeSimulator) -> int:
    return sim.stats.calls["candle"]


def values(candles: list[Candle]) -> list[tuple[Any, ...]]:
    return [(c.start, c.open, c.high, c.low, c.close, c.volume, c.value) for c in candles]


@pytest.fixture
async def exchange(simulator: ExchangeSimulator) -> AsyncIterator[ExchangeClock]:
    """The exchange half a minute into a minute, half an hour ago: its minutes close when the test says."""
    clock = ExchangeClock(M1.floor(utc_now()) - timedelta(minutes=30) + timedelta(seconds=30))
    simulator.use_clock(clock)
    yield clock


async def pushed_at(stream: Subscription, clock: ExchangeClock, accept: Callable[[dict[str, Any]], bool]) -> dict:
    """The first update the exchange sent at (or after) its current time that ``accept`` takes."""
    async def first() -> dict[str, Any]:
        async for update in stream:
            if update["timestamp"] >= clock.ms and accept(update):
                return update
        raise AssertionError("the stream ended")

    return await asyncio.wait_for(first(), WAIT_S)


def any_update(_update: dict[str, Any]) -> bool:
    return True


async def critical(backbone: MarketDataBackbone, market: str, count: int) -> Any:
    answer = await backbone.get_candle_data(market, "1m", count=count, priority=Priority.CRITICAL)
    assert answer.success, answer.error
    await asyncio.gather(*backbone._writes)  # what it proved or fetched, stored after answering
    return answer


def slot(clock: ExchangeClock) -> datetime:
    """The exchange's current minute."""
    return M1.floor(ms_to_utc(clock.ms))


async def quiet_minute(sim: ExchangeSimulator, clock: ExchangeClock, *, quiet_after: bool) -> tuple[str, datetime]:
    """A quiet market and a minute of it without trades, some way before the exchange's now
    (and, with ``quiet_after``, none in the minute after either)."""
    market = await quiet_market(sim)
    now = slot(clock)
    traded = {c.start for c in await direct_candles(sim, market, M1, now - timedelta(minutes=120), now)}
    empty = next(
        minute for minute in (now - timedelta(minutes=k) for k in range(100, 2, -1))
        if minute not in traded and not (quiet_after and minute + MINUTE in traded)
    )
    return market, empty


async def test_a_streamed_bot_makes_rest_calls_only_to_fill_storage_then_none_per_close(
    simulator: ExchangeSimulator, exchange: ExchangeClock, make_backbone: Any
) -> None:
    backbone = await make_backbone(simulator)
    answers: list[tuple[datetime, list[Candle]]] = []  # the exchange's minute when asked, the answer
    async with backbone.subscribe_candles(BUSY, "1m") as stream:
        await pushed_at(stream, exchange, any_update)
        simulator.stats.reset()
        first = await critical(backbone, BUSY, 50)
        assert first.metadata.channel == "rest" and candle_calls(simulator) == 1
        for _ in range(5):
            exchange.advance(60)  # the previous minute ended 30 s ago: past the close margin
            await pushed_at(stream, exchange, any_update)
            answer = await critical(backbone, BUSY, 50)
            assert answer.metadata.channel == "websocket" and answer.metadata.upstream_calls == 0
            answers.append((slot(exchange), answer.candles.to_candles()))
        assert candle_calls(simulator) == 1  # the first fill only: each close proven by the stream
        oldest = answers[0][1][0].start
        assert await backbone._store.missing(BUSY, M1, oldest, slot(exchange)) == []  # proven ones stored

    exchange.advance(600)
    truth = await direct_candles(simulator, BUSY, M1, oldest, slot(exchange))
    for minute, got in answers:
        assert len(got) == 50
        closed = [c for c in got if c.start < minute]
        assert values(closed) == values([c for c in truth if got[0].start <= c.start < minute])  # no gap, no twin
        forming = [c for c in got if c.start == minute]
        assert [(c.start, c.open) for c in forming] == [(c.start, c.open) for c in truth if c.start == minute]


async def test_a_reconnect_between_a_minutes_last_trade_and_its_proof_sends_the_next_request_to_rest(
    simulator: ExchangeSimulator, exchange: ExchangeClock, make_backbone: Any
) -> None:
    backbone = await make_backbone(simulator)
    minute = slot(exchange)
    async with backbone.subscribe_candles(BUSY, "1m") as stream:
        await pushed_at(stream, exchange, any_update)
        await critical(backbone, BUSY, 20)
        simulator.stats.reset()
        simulator.drop_websockets()
        exchange.advance(40)  # the minute ends while no connection carries its last trades
        later = (minute + MINUTE).strftime("%Y-%m-%dT%H:%M:%S")
        # Reconnected, and the next minute trades: no message of this epoch shows the old one.
        await pushed_at(stream, exchange, lambda update: update["candle_date_time_utc"] == later)
        proof = backbone._router.stream_closes(BUSY, M1)
        assert proof is None or proof.start > minute
        answer = await critical(backbone, BUSY, 20)
        assert answer.metadata.channel == "rest" and candle_calls(simulator) == 1
    exchange.advance(600)
    got = answer.candles.to_candles()
    truth = await direct_candles(simulator, BUSY, M1, got[0].start, minute + MINUTE)
    assert values(got[:-1]) == values(truth)


async def test_a_minute_without_trades_is_closed_as_empty_only_by_an_unbroken_stream(
    simulator: ExchangeSimulator, exchange: ExchangeClock, make_backbone: Any
) -> None:
    # No trades in the minute nor the one after (so the stream's newest candle is older).
    market, empty = await quiet_minute(simulator, exchange, quiet_after=True)
    exchange.ms = utc_to_ms(empty - timedelta(seconds=30))
    backbone = await make_backbone(simulator)

    async with backbone.subscribe_candles(market, "1m"), backbone.subscribe_orderbook(BUSY) as clock_ticks:
        await pushed_at(clock_ticks, exchange, any_update)
        exchange.advance(33)  # 3 s into the empty minute: its predecessor has closed
        await pushed_at(clock_ticks, exchange, any_update)
        simulator.stats.reset()
        await critical(backbone, market, 20)  # storage filled up to the empty minute
        assert candle_calls(simulator) == 1
        exchange.advance(62)  # the empty minute ended 2 s ago
        await pushed_at(clock_ticks, exchange, any_update)
        proof = backbone._router.stream_closes(market, M1)
        assert proof is not None and proof.start <= empty < proof.end
        assert empty not in {c.start for c in proof.candles}
        answer = await critical(backbone, market, 20)
        assert answer.metadata.channel == "websocket" and candle_calls(simulator) == 1
        got = answer.candles.to_candles()
        assert empty not in {c.start for c in got}
        truth = await direct_candles(simulator, market, M1, got[0].start, empty + MINUTE)
        assert values([c for c in got if c.start <= empty]) == values(truth)
        assert await backbone._store.missing(market, M1, empty, empty + MINUTE) == []


async def test_a_minute_without_trades_is_not_proven_empty_across_a_reconnect(
    simulator: ExchangeSimulator, exchange: ExchangeClock, make_backbone: Any
) -> None:
    market, empty = await quiet_minute(simulator, exchange, quiet_after=False)
    exchange.ms = utc_to_ms(empty + timedelta(seconds=3))
    backbone = await make_backbone(simulator)
    async with backbone.subscribe_candles(market, "1m"), backbone.subscribe_orderbook(BUSY) as clock_ticks:
        await pushed_at(clock_ticks, exchange, any_update)
        simulator.drop_websockets()  # the stream breaks inside the empty minute
        exchange.advance(62)
        await pushed_at(clock_ticks, exchange, any_update)  # reconnected
        proof = backbone._router.stream_closes(market, M1)
        assert proof is None or proof.start > empty
        answer = await critical(backbone, market, 20)
    got = answer.candles.to_candles()
    exchange.advance(600)
    truth = await direct_candles(simulator, market, M1, got[0].start, empty + MINUTE)
    assert values([c for c in got if c.start <= empty]) == values(truth)


async def test_before_the_close_margin_the_stream_never_presents_a_minute_as_closed(
    simulator: ExchangeSimulator, exchange: ExchangeClock, make_backbone: Any
) -> None:
    backbone = await make_backbone(simulator)
    minute = slot(exchange)
    async with backbone.subscribe_candles(BUSY, "1m"), backbone.subscribe_orderbook(BUSY) as clock_ticks:
        await pushed_at(clock_ticks, exchange, any_update)
        await critical(backbone, BUSY, 20)  # storage filled up to this minute
        exchange.advance(31)  # one second after its end: inside the 2 s margin
        await pushed_at(clock_ticks, exchange, any_update)
        proof = backbone._router.stream_closes(BUSY, M1)
        assert proof is None or proof.end <= minute
        early = await critical(backbone, BUSY, 20)
        if early.metadata.channel == "websocket":  # then the minute is still the forming candle
            assert early.candles.to_candles()[-1].start == minute
        assert await backbone._store.missing(BUSY, M1, minute, minute + MINUTE) == [(minute, minute + MINUTE)]

        simulator.stats.reset()
        exchange.advance(1)  # exactly the margin past its end: the stream proves it
        await pushed_at(clock_ticks, exchange, any_update)
        proof = backbone._router.stream_closes(BUSY, M1)
        assert proof is not None and proof.start <= minute < proof.end
        answer = await critical(backbone, BUSY, 20)
        assert answer.metadata.channel == "websocket" and candle_calls(simulator) == 0
        assert await backbone._store.missing(BUSY, M1, minute, minute + MINUTE) == []
    exchange.advance(600)
    got = [c for c in answer.candles.to_candles() if c.start <= minute]
    truth = await direct_candles(simulator, BUSY, M1, got[0].start, minute + MINUTE)
    assert values(got) == values(truth)
