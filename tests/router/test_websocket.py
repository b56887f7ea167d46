"""The WebSocket channel and the choice between snapshot and REST."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from backbone.domain.clock import ms_to_utc, utc_to_ms
from backbone.domain.models import Candle, Orderbook, Ticker, Trade, utc_now
from backbone.domain.priority import Priority
from backbone.router import SmartRouter
from backbone.router.snapshots import SnapshotStore, UpdateQueue, UpdateStream
from tests.coordinator.helpers import M1, ExchangeClock
from tests.router.helpers import eventually


@pytest.fixture
async def router(simulator: Any) -> AsyncIterator[SmartRouter]:
    async with SmartRouter(simulator.rest_url, simulator.ws_url) as started:
        yield started


async def _routed_by_websocket(router: SmartRouter, kind: str, markets: list[str]) -> bool:
    answer = await router.request(kind, markets)
    return answer.channel == "websocket"


async def test_snapshots_arrive_and_answer_requests_without_rest(
    simulator: Any, router: SmartRouter
) -> None:
    markets = ["KRW-BTC", "KRW-ETH"]
    assert router.ws_state == "disconnected"  # nothing wanted, nothing connected
    await router.subscribe("ticker", markets)
    await eventually(lambda: _routed_by_websocket(router, "ticker", markets))
    assert router.ws_state == "connected"
    calls = simulator.stats.calls["ticker"]
    answer = await router.request("ticker", markets, priority=Priority.HIGH)
    assert answer.channel == "websocket"
    assert answer.upstream_calls == 0
    assert answer.snapshot_age_ms is not None
    assert answer.snapshot_age_ms <= router.freshness_s["ticker"] * 1000
    assert [t.market for t in answer.data] == markets
    assert all(isinstance(t, Ticker) for t in answer.data)
    assert simulator.stats.calls["ticker"] == calls


async def test_unsubscribed_markets_go_to_rest(simulator: Any, router: SmartRouter) -> None:
    answer = await router.request("orderbook", ["KRW-XRP"])
    assert answer.channel == "rest"
    assert answer.snapshot_age_ms is None
    assert answer.upstream_calls == 1
    assert isinstance(answer.data[0], Orderbook)
    assert router.subscriptions()["orderbook"] == []  # only CRITICAL subscribes on its own


async def test_critical_request_for_a_new_market_subscribes_it_for_next_time(
    router: SmartRouter,
) -> None:
    first = await router.request("ticker", ["KRW-SOL"], priority=Priority.CRITICAL)
    assert first.channel == "rest"
    assert router.subscriptions()["ticker"] == ["KRW-SOL"]
    await eventually(lambda: _routed_by_websocket(router, "ticker", ["KRW-SOL"]))


async def test_subscription_changes_keep_the_other_streams(router: SmartRouter) -> None:
    await router.subscribe("ticker", ["KRW-BTC"])
    await eventually(lambda: _routed_by_websocket(router, "ticker", ["KRW-BTC"]))
    await router.subscribe("orderbook", ["KRW-BTC", "KRW-ETH"])
    await router.subscribe("trade", ["KRW-BTC"])
    await eventually(lambda: _routed_by_websocket(router, "orderbook", ["KRW-BTC", "KRW-ETH"]))
    assert await _routed_by_websocket(router, "ticker", ["KRW-BTC"])
    await router.unsubscribe("orderbook", ["KRW-ETH"])
    await asyncio.sleep(0.3)
    assert router.subscriptions() == {
        "ticker": ["KRW-BTC"],
        "orderbook": ["KRW-BTC"],
        "trade": ["KRW-BTC"],
    }
    assert await _routed_by_websocket(router, "ticker", ["KRW-BTC"])
    assert (await router.request("orderbook", ["KRW-ETH"])).channel == "rest"


async def test_update_streams_deliver_typed_values_and_unsubscribe_on_exit(
    router: SmartRouter,
) -> None:
    got: list[Any] = []
    async with router.updates("trade", ["KRW-BTC"]) as stream:
        async with asyncio.timeout(10):
            async for trade in stream:
                got.append(trade)
                if len(got) >= 2:
                    break
    assert all(isinstance(t, Trade) and t.market == "KRW-BTC" for t in got)
    assert router.subscriptions()["trade"] == []


async def test_trades_over_websocket_come_from_the_recent_ring(router: SmartRouter) -> None:
    await router.subscribe("trade", ["KRW-BTC"])
    await eventually(lambda: _routed_by_websocket(router, "trade", ["KRW-BTC"]), timeout_s=8)
    answer = await router.request("trade", ["KRW-BTC"])
    stamps = [t.timestamp for t in answer.data]
    assert answer.data and all(t.market == "KRW-BTC" for t in answer.data)
    assert stamps == sorted(stamps, reverse=True)  # newest first, as REST sends them


async def test_after_a_drop_snapshots_are_stale_then_fresh_again(
    simulator: Any, router: SmartRouter
) -> None:
    markets = ["KRW-BTC", "KRW-ETH"]
    await router.subscribe("ticker", markets)
    await eventually(lambda: _routed_by_websocket(router, "ticker", markets))
    assert simulator.drop_websockets() >= 1
    await eventually(lambda: _is(router.ws_state != "connected"), timeout_s=2, interval_s=0.005)
    stale = await router.request("ticker", markets)
    assert stale.channel == "rest"  # never an old snapshot dressed as fresh
    took = await eventually(lambda: _routed_by_websocket(router, "ticker", markets), timeout_s=5)
    assert took < 5
    assert router.ws_state == "connected"
    assert router.stats().ws_reconnects >= 1


async def test_stopping_the_router_ends_update_streams(simulator: Any) -> None:
    router = SmartRouter(simulator.rest_url, simulator.ws_url)
    await router.start()
    stream = router.updates("ticker", ["KRW-BTC"])
    await stream.__aenter__()
    reader = asyncio.create_task(_drain(stream))
    await asyncio.sleep(0.3)
    await router.stop()
    await router.stop()  # idempotent
    async with asyncio.timeout(2):
        await reader
    assert router.ws_state == "disconnected"


async def _drain(stream: Any) -> int:
    count = 0
    async for _ in stream:
        count += 1
    return count


async def _is(value: bool) -> bool:
    return value


async def test_a_slow_consumer_loses_the_oldest_updates_not_the_reader() -> None:
    queue = UpdateQueue(maxsize=3)
    for i in range(5):
        queue.push(i)
    assert queue.dropped == 2
    assert [await queue.get() for _ in range(3)] == [2, 3, 4]
    queue.close()
    assert await queue.get() is None


async def test_a_quiet_market_stays_fresh_while_the_live_connection_carries_traffic(
    simulator: Any, router: SmartRouter
) -> None:
    quiet = simulator.market_codes("KRW")[-1]  # the long tail trades rarely
    await router.subscribe("ticker", ["KRW-BTC", "KRW-ETH", quiet])
    await eventually(lambda: _routed_by_websocket(router, "ticker", [quiet]))
    await asyncio.sleep(1.5)  # longer than the ticker budget
    answer = await router.request("ticker", [quiet])
    assert answer.channel == "websocket"
    assert answer.snapshot_age_ms is not None
    assert answer.snapshot_age_ms <= router.freshness_s["ticker"] * 1000


def test_snapshots_turn_stale_the_moment_the_connection_drops() -> None:
    store = SnapshotStore()
    store.connection_up()
    trade = Trade("KRW-BTC", 1, 1.0, 1.0, 1.0, 0.0, "BID", 7)
    store.put("trade", trade, received_at=100.0)
    assert store.fresh("trade", "KRW-BTC", 1.0, now=100.5) is not None
    store.traffic(101.0)  # later traffic on the same connection confirms it
    assert store.fresh("trade", "KRW-BTC", 1.0, now=101.8) is not None
    assert store.fresh("trade", "KRW-BTC", 1.0, now=102.5) is None  # silence ages it
    store.connection_down()
    assert store.fresh("trade", "KRW-BTC", 1.0, now=101.0) is None
    assert store.recent_trades("KRW-BTC") == []
    store.connection_up()
    store.traffic(101.1)
    assert store.fresh("trade", "KRW-BTC", 10.0, now=101.2) is None  # from the old connection


async def test_rapid_subscription_changes_are_coalesced_within_upbits_message_limits(
    simulator: Any, router: SmartRouter
) -> None:
    markets = simulator.market_codes("KRW")[:12]
    await router.subscribe("ticker", markets[:1])
    await eventually(lambda: _routed_by_websocket(router, "ticker", markets[:1]))
    for market in markets[1:]:  # eleven changes in about 0.7 s: more than 5 messages/s
        await router.subscribe("orderbook", [market])
        await asyncio.sleep(0.06)
    await eventually(lambda: _routed_by_websocket(router, "orderbook", markets[1:]), timeout_s=8)
    assert router.ws_last_error is None  # never TOO_MANY_REQ
    assert simulator.stats.ws_requests <= 11
    assert await _routed_by_websocket(router, "ticker", markets[:1])


def _minute_traded_early(simulator: Any, code: str) -> Any:
    """A past minute whose market traded in its first 20 s and the next minute's first 30 s,
    so each subscription's snapshot is that minute's candle (a slot without trades has none)."""
    market = simulator.catalogue.get(code)
    newest = M1.floor(utc_now()) - timedelta(minutes=30)
    for back in range(60):
        minute = newest - timedelta(minutes=back)
        at = utc_to_ms(minute)
        first = simulator.candles.minutes(market, 1, at + 20_000, 1, at + 20_000)
        second = simulator.candles.minutes(market, 1, at + 90_000, 1, at + 90_000)
        if first and second and first[0]["timestamp"] >= at and second[0]["timestamp"] >= at + 60_000:
            return minute
    raise AssertionError(f"{code} has no minute with early trades in the simulator's last hours")


async def test_a_candle_stream_resubscribed_on_one_connection_proves_nothing_from_before_its_gap(
    simulator: Any, router: SmartRouter
) -> None:
    minute = _minute_traded_early(simulator, "KRW-BTC")
    exchange = ExchangeClock(minute + timedelta(seconds=20))
    simulator.use_clock(exchange)

    async def first_at_now(stream: UpdateStream) -> Any:
        async for value in stream:
            if value.last_trade_ms >= exchange.ms:  # sent at the exchange's current time
                return value
        raise AssertionError("the stream ended")

    async with router.updates("orderbook", ["KRW-ETH"]) as ticks:  # keeps the connection up throughout
        await asyncio.wait_for(anext(ticks), 10)
        async with router.updates("candle.1m", ["KRW-BTC"]) as candles:
            seen = await asyncio.wait_for(first_at_now(candles), 10)
            assert seen.start == minute

        async def candles_unsubscribed() -> bool:
            return not any(sub.type == "candle.1m" for conn in simulator.hub.connections for sub in conn.subscriptions)

        await eventually(candles_unsubscribed)  # the exchange has taken the smaller set
        exchange.advance(70)  # so the minute's last trades and the next one's first go unseen
        async with router.updates("candle.1m", ["KRW-BTC"]) as candles:
            again = await asyncio.wait_for(first_at_now(candles), 10)
            assert again.start == minute + timedelta(minutes=1)  # the resubscription's snapshot
            proof = router.stream_closes("KRW-BTC", M1)
            # The stream's last message for the minute is from before the gap: not its final candle.
            assert proof is None or proof.start > minute


def test_a_candle_message_sent_before_an_unsubscribe_starts_no_run_after_the_resubscribe() -> None:
    minute = M1.floor(utc_now()) - timedelta(minutes=30)
    at = utc_to_ms(minute)

    def candle(start_ms: int, sent_ms: int, close: float) -> Candle:
        return Candle("KRW-BTC", M1, ms_to_utc(start_ms), close, close, close, close, sent_ms, close, 1.0)

    def arrives(candle: Candle, snapshot: bool) -> None:  # as the channel hands a message over
        store.exchange_time(candle.last_trade_ms)
        if snapshot:
            store.snapshot_arrived("candle.1m", "KRW-BTC")
        store.put("candle.1m", candle, 0.0)

    store = SnapshotStore()
    with_candles, without = {"candle.1m": ["KRW-BTC"], "ticker": ["KRW-ETH"]}, {"ticker": ["KRW-ETH"]}
    store.connection_up()
    store.subscription_sent(with_candles, {})
    arrives(candle(at, at + 10_000, 1.0), snapshot=True)
    store.subscription_sent(without, with_candles)
    store.forget("candle.1m", "KRW-BTC")
    store.subscription_sent(with_candles, without)
    # Still on its way from before the unsubscribe: the minute as it was, sent well after it ended.
    arrives(candle(at, at + 70_000, 2.0), snapshot=False)
    assert store.closes("candle.1m", "KRW-BTC") is None
    arrives(candle(at + 60_000, at + 71_000, 3.0), snapshot=True)  # the resubscription's snapshot
    proof = store.closes("candle.1m", "KRW-BTC")
    assert proof is None or proof.start > minute
