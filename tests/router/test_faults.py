"""Upstream faults map to retries or to the right typed error."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import numpy as np
import pytest

from backbone.domain.clock import KST, utc_to_ms
from backbone.domain.errors import (
    BadRequestError,
    BannedError,
    ConnectionLostError,
    InvalidInputError,
    UpstreamError,
    UpstreamTimeoutError,
)
from backbone.domain.priority import Priority
from backbone.domain.timeframes import parse_timeframe
from backbone.router import SmartRouter
from backbone.sim import Faults

MINUTE = parse_timeframe("1m")


@pytest.fixture
async def router(simulator: Any) -> AsyncIterator[SmartRouter]:
    async with SmartRouter(simulator.rest_url, simulator.ws_url) as started:
        yield started


async def test_calls_succeed_through_injected_429s(simulator: Any, router: SmartRouter) -> None:
    simulator.set_faults(Faults(rate_429=0.15))
    results = await asyncio.gather(*(router.fetch_tickers(["KRW-BTC"]) for _ in range(8)))
    assert all(r and r[0].market == "KRW-BTC" for r in results)
    stats = router.stats()
    assert stats.status_429 > 0
    assert stats.retries >= stats.status_429


async def test_calls_succeed_through_injected_server_errors(
    simulator: Any, router: SmartRouter
) -> None:
    simulator.set_faults(Faults(rate_500=0.15, rate_503=0.05))
    results = await asyncio.gather(
        *(router.fetch_candles("KRW-BTC", MINUTE, count=10) for _ in range(15))
    )
    assert all(len(r) == 10 for r in results)
    assert router.stats().retries > 0


async def test_malformed_and_truncated_bodies_are_retried(
    simulator: Any, router: SmartRouter
) -> None:
    simulator.set_faults(Faults(malformed_fraction=0.15, truncated_fraction=0.1))
    results = await asyncio.gather(*(router.fetch_orderbooks(["KRW-BTC"]) for _ in range(15)))
    assert all(r and r[0].units for r in results)
    assert router.stats().retries > 0


async def test_persistent_server_errors_end_in_upstream_error(
    simulator: Any, router: SmartRouter
) -> None:
    simulator.set_faults(Faults(rate_500=1.0))
    with pytest.raises(UpstreamError) as failure:
        await router.fetch_tickers(["KRW-BTC"])
    assert failure.value.code == "UPSTREAM_UNAVAILABLE"
    assert failure.value.status == 500


async def test_a_slow_answer_becomes_a_timeout(simulator: Any) -> None:
    simulator.set_faults(Faults(slow_fraction=1.0, slow_ms=2000.0))
    async with SmartRouter(simulator.rest_url, simulator.ws_url, request_timeout_s=0.3) as router:
        started = time.monotonic()
        with pytest.raises(UpstreamTimeoutError):
            await router.fetch_tickers(["KRW-BTC"])
        assert time.monotonic() - started < 1.5


async def test_an_unreachable_exchange_is_a_lost_connection() -> None:
    async with SmartRouter("http://127.0.0.1:9/v1", "ws://127.0.0.1:9/websocket/v1") as router:
        with pytest.raises(ConnectionLostError):
            await router.fetch_tickers(["KRW-BTC"])


async def test_an_unknown_market_is_upbits_bad_request_with_its_message(
    simulator: Any, router: SmartRouter
) -> None:
    with pytest.raises(BadRequestError) as failure:
        await router.fetch_tickers(["KRW-NOTACOIN"])
    assert failure.value.status in (400, 404)
    assert failure.value.upbit_message


async def test_bad_input_is_refused_before_any_call(router: SmartRouter) -> None:
    with pytest.raises(InvalidInputError, match="count"):
        await router.fetch_candles("KRW-BTC", MINUTE, count=201)
    with pytest.raises(InvalidInputError, match="market"):
        await router.fetch_tickers(["bitcoin"])
    with pytest.raises(InvalidInputError, match="time zone"):
        await router.fetch_candles("KRW-BTC", MINUTE, to=datetime(2025, 6, 1))
    with pytest.raises(InvalidInputError, match="kind"):
        await router.request("candles", ["KRW-BTC"])


async def test_to_with_colons_and_offsets_is_encoded_and_exclusive(router: SmartRouter) -> None:
    kst = datetime.now(UTC).astimezone(KST)  # "+09:00" and ":" must reach Upbit encoded
    to = (kst - timedelta(hours=3)).replace(second=0, microsecond=0)
    page = await router.fetch_candles("KRW-BTC", MINUTE, count=30, to=to)
    starts = page.candles.start_ms
    assert len(starts) > 0
    assert starts[-1] < utc_to_ms(to)
    assert bool(np.all(starts[1:] > starts[:-1]))


async def test_a_ban_is_reported_with_its_length_then_lifts(make_simulator: Any) -> None:
    sim = await make_simulator(ban_after_429s=3, ban_seconds=1.5)
    async with SmartRouter(sim.rest_url, sim.ws_url) as router:
        # Another program on this address ignores the limit until Upbit bans the address.
        async with aiohttp.ClientSession() as session:

            async def reckless() -> int:
                async with session.get(f"{sim.rest_url}/ticker?markets=KRW-BTC") as r:
                    await r.read()
                    return r.status

            statuses = await asyncio.gather(*(reckless() for _ in range(40)))
        assert 429 in statuses or 418 in statuses
        with pytest.raises(BannedError) as banned:
            await router.fetch_tickers(["KRW-BTC"], priority=Priority.CRITICAL)
        assert 0 < banned.value.retry_after_s <= 60
        assert banned.value.code == "BANNED"
        calls = sim.stats.total
        with pytest.raises(BannedError):  # blocked locally, the exchange is not asked again
            await router.fetch_tickers(["KRW-BTC"])
        assert sim.stats.total == calls
        await asyncio.sleep(banned.value.retry_after_s + 0.2)
        tickers = await router.fetch_tickers(["KRW-BTC"])
        assert tickers[0].market == "KRW-BTC"
