"""Shared helpers for the coordinator tests: truth straight from the simulator, quiet markets."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from backbone.domain.clock import format_to_param, utc_to_ms
from backbone.domain.models import Candle, utc_now
from backbone.domain.timeframes import TIMEFRAMES, Timeframe

M1 = TIMEFRAMES["1m"]


class ExchangeClock:
    """The simulator's clock, moved by the test: no sleeping."""

    def __init__(self, at: datetime) -> None:
        self.ms = utc_to_ms(at)

    def __call__(self) -> int:
        return self.ms

    def advance(self, seconds: float) -> None:
        self.ms += round(seconds * 1000)


def past_end(minutes_ago: int = 10) -> datetime:
    """An aligned minute safely in the past: no candle before it is still forming."""
    return M1.floor(utc_now()) - timedelta(minutes=minutes_ago)


async def direct_candles(
    sim: Any, market: str, timeframe: Timeframe, start: datetime, end: datetime
) -> list[Candle]:
    """Every candle in ``[start, end)`` fetched with plain aiohttp, ascending (the exchange's truth)."""
    found: dict[datetime, Candle] = {}
    cursor = end
    async with aiohttp.ClientSession() as session:
        while cursor > start:
            params = {"market": market, "count": "200", "to": format_to_param(cursor)}
            raw = await _get(session, f"{sim.rest_url}/candles/{timeframe.path}", params)
            page = [Candle.from_upbit(item, timeframe) for item in raw]
            if not page:
                break
            for candle in page:
                if start <= candle.start < end:
                    found[candle.start] = candle
            cursor = min(c.start for c in page)
            if len(page) < 200:
                break
    return [found[when] for when in sorted(found)]


async def _get(session: aiohttp.ClientSession, url: str, params: dict[str, str]) -> Any:
    for _attempt in range(20):
        async with session.get(url, params=params) as response:
            if response.status == 429:
                await asyncio.sleep(0.2)  # share the rate budget politely with the router
                continue
            response.raise_for_status()
            return await response.json()
    raise AssertionError(f"the simulator kept answering 429 for {url}")


async def quiet_market(sim: Any, min_gap_ratio: float = 1.2) -> str:
    """A KRW market whose recent 200 candles span at least ``min_gap_ratio`` * 200 minutes."""
    end = past_end()
    async with aiohttp.ClientSession() as session:
        for market in reversed(sim.market_codes("KRW")):
            params = {"market": market, "count": "200", "to": format_to_param(end)}
            raw = await _get(session, f"{sim.rest_url}/candles/minutes/1", params)
            page = [Candle.from_upbit(item, M1) for item in raw]
            if len(page) == 200:
                span = M1.count_between(min(c.start for c in page), end)
                if span >= 200 * min_gap_ratio:
                    return market
    raise AssertionError("the simulator lists no quiet KRW market")


def assert_ascending_distinct(candles: list[Candle]) -> None:
    starts = [c.start for c in candles]
    assert starts == sorted(starts)
    assert len(set(starts)) == len(starts)
