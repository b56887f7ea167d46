"""Quote requests that arrive together share calls; identical trade requests share one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from backbone.domain.errors import BadRequestError
from backbone.domain.priority import Priority
from backbone.router import SmartRouter


@pytest.fixture
async def router(simulator: Any) -> AsyncIterator[SmartRouter]:
    async with SmartRouter(simulator.rest_url, simulator.ws_url) as started:
        yield started


async def test_tickers_asked_together_go_in_one_call_and_each_caller_gets_its_own(
    simulator: Any, router: SmartRouter
) -> None:
    markets = simulator.market_codes("KRW")[:12]
    await router.fetch_markets()  # the cold-start probe, so the batch is not held behind it
    before = simulator.stats.calls["ticker"]

    answers = await asyncio.gather(*(router.request("ticker", [m]) for m in markets))

    assert simulator.stats.calls["ticker"] - before == 1
    assert [[t.market for t in answer.data] for answer in answers] == [[m] for m in markets]
    assert all(answer.upstream_calls == 1 and answer.channel == "rest" for answer in answers)


async def test_orderbooks_asked_together_by_different_priorities_go_in_one_call(
    simulator: Any, router: SmartRouter
) -> None:
    markets = simulator.market_codes("KRW")[:6]
    await router.fetch_markets()
    before = simulator.stats.calls["orderbook"]
    priorities = [Priority.LOW, Priority.NORMAL, Priority.HIGH] * 2

    answers = await asyncio.gather(
        *(router.request("orderbook", [m, markets[0]], priority=p) for m, p in zip(markets, priorities, strict=True))
    )

    assert simulator.stats.calls["orderbook"] - before == 1
    assert [[o.market for o in answer.data] for answer in answers] == [
        [m, markets[0]] if m != markets[0] else [m] for m in markets
    ]


async def test_a_batch_never_grows_past_a_hundred_markets(simulator: Any, router: SmartRouter) -> None:
    markets = simulator.market_codes("KRW")[:150]
    await router.fetch_markets()
    before = simulator.stats.calls["ticker"]

    answers = await asyncio.gather(*(router.request("ticker", [m]) for m in markets))

    assert simulator.stats.calls["ticker"] - before == 2
    assert sorted(t.market for answer in answers for t in answer.data) == sorted(markets)


async def test_one_callers_unknown_market_loses_nobody_elses_answer(simulator: Any, router: SmartRouter) -> None:
    markets = simulator.market_codes("KRW")[:3]
    await router.fetch_markets()

    answers = await asyncio.gather(
        *(router.request("ticker", [m]) for m in markets),
        router.request("ticker", ["KRW-NOSUCHCOIN"]),
        return_exceptions=True,
    )

    assert [[t.market for t in answer.data] for answer in answers[:3]] == [[m] for m in markets]  # type: ignore[union-attr]
    assert isinstance(answers[3], BadRequestError)


async def test_a_critical_request_is_sent_at_once_not_held_for_a_batch(simulator: Any, router: SmartRouter) -> None:
    await router.fetch_markets()
    before = simulator.stats.calls["ticker"]
    normal = asyncio.ensure_future(router.request("ticker", ["KRW-ETH"]))
    await asyncio.sleep(0)  # the NORMAL request opens its batch and waits for company
    critical = await router.request("ticker", ["KRW-BTC"], priority=Priority.CRITICAL)
    # The NORMAL request waiting for its batch went out with the CRITICAL one.
    assert [t.market for t in critical.data] == ["KRW-BTC"]
    assert [t.market for t in (await normal).data] == ["KRW-ETH"]
    assert simulator.stats.calls["ticker"] - before == 1


async def test_identical_trade_requests_in_flight_share_one_call(simulator: Any, router: SmartRouter) -> None:
    await router.fetch_markets()
    before = simulator.stats.calls["trade"]

    pages = await asyncio.gather(*(router.fetch_trades("KRW-BTC", count=50) for _ in range(5)))

    assert simulator.stats.calls["trade"] - before == 1
    assert all(page == pages[0] and page is not pages[0] for page in pages[1:])
