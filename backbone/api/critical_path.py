"""The critical path: straight to Layer 1, no storage, no queue.

A live bot's ticker or order book comes from a fresh WebSocket snapshot when
one exists, otherwise from REST with the tokens reserved for CRITICAL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backbone.domain.candle_columns import CandleColumns
from backbone.domain.models import Candle
from backbone.domain.priority import Priority
from backbone.domain.timeframes import PAGE_SIZE, Timeframe
from backbone.router import SmartRouter


@dataclass(frozen=True, slots=True)
class CriticalAnswer:
    data: list[dict[str, Any]]
    upstream_calls: int
    channel: str


@dataclass(frozen=True, slots=True)
class CriticalCandles:
    candles: CandleColumns
    upstream_calls: int


async def quotes(router: SmartRouter, kind: str, symbols: list[str]) -> CriticalAnswer:
    """Tickers or order books for a live bot."""
    answer = await router.request(kind, symbols, priority=Priority.CRITICAL)
    return CriticalAnswer([item.to_upbit() for item in answer.data], answer.upstream_calls, answer.channel)


async def trades(router: SmartRouter, symbol: str, count: int) -> CriticalAnswer:
    """The latest trades (at most one page of 500), ascending in time."""
    rows = await router.fetch_trades(symbol, count=min(count, 500), priority=Priority.CRITICAL)
    rows = sorted(rows, key=lambda t: (t.timestamp, t.sequential_id))
    return CriticalAnswer([t.to_upbit() for t in rows], 1, "rest")


async def candles(
    router: SmartRouter,
    symbol: str,
    timeframe: Timeframe,
    count: int | None,
    start: datetime | None,
    end: datetime | None,
) -> CriticalCandles:
    """Candles fetched page by page backwards from ``end`` (or now), never stored."""
    collected: dict[datetime, Candle] = {}
    calls = 0
    to = end
    while True:
        want = PAGE_SIZE if count is None else min(PAGE_SIZE, count - len(collected))
        page = await router.fetch_candles(symbol, timeframe, count=want, to=to, priority=Priority.CRITICAL)
        calls += 1
        for candle in page:
            if start is None or candle.start >= start:
                collected[candle.start] = candle
        if not page or len(page) < want:
            break
        to = page[0].start
        if count is not None and len(collected) >= count:
            break
        if start is not None and to <= start:
            break
    ordered = CandleColumns.from_candles(symbol, timeframe, list(collected.values()))
    if count is not None:
        ordered = ordered.last(count)
    return CriticalCandles(ordered, calls)
