"""The critical path: straight to Layer 1, no storage, no queue.

A live bot's ticker or order book comes from a fresh WebSocket snapshot when
one exists, otherwise from REST with the tokens reserved for CRITICAL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backbone.domain.candle_columns import CandleColumns
from backbone.domain.candle_range import count_end, range_slots
from backbone.domain.errors import InvalidInputError
from backbone.domain.models import Candle
from backbone.domain.priority import Priority
from backbone.domain.timeframes import Timeframe
from backbone.router import SmartRouter
from backbone.router.endpoints import MAX_CANDLE_COUNT, MAX_TRADE_COUNT

CRITICAL_MAX_CANDLES = 1_000  # five exchange pages: what a live bot needs, bounded


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
    rows = await router.fetch_trades(symbol, count=min(count, MAX_TRADE_COUNT), priority=Priority.CRITICAL)
    rows = sorted(rows, key=lambda t: (t.timestamp, t.sequential_id))
    return CriticalAnswer([t.to_upbit() for t in rows], 1, "rest")


async def candles(
    router: SmartRouter,
    symbol: str,
    timeframe: Timeframe,
    count: int | None,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
) -> CriticalCandles:
    """The latest ``count`` candles before ``end``, or those starting in ``[start, end)``.

    Fetched page by page backwards straight from the exchange and never stored. A
    live bot needs recent candles, so at most ``CRITICAL_MAX_CANDLES`` may be asked;
    longer histories belong on HIGH or NORMAL, which store what they fetch.
    """
    first: datetime | None = None
    if start is not None:
        first, last = range_slots(timeframe, start, end, now)
        wanted = timeframe.count_between(first, last)
        if wanted > CRITICAL_MAX_CANDLES:
            raise InvalidInputError(
                "INVALID_RANGE",
                "start_time",
                f"a CRITICAL range may hold at most {CRITICAL_MAX_CANDLES} {timeframe.code} candles, "
                f"this one holds {wanted}; ask HIGH or NORMAL for longer histories",
            )
        if wanted <= 0:
            return CriticalCandles(CandleColumns.from_candles(symbol, timeframe, []), 0)
        to: datetime | None = last if end is not None else None  # None: up to the exchange's own now
    else:
        wanted = count or MAX_CANDLE_COUNT
        if wanted > CRITICAL_MAX_CANDLES:
            raise InvalidInputError(
                "INVALID_COUNT",
                "count",
                f"count {wanted} is above the CRITICAL limit of {CRITICAL_MAX_CANDLES} candles; "
                "ask HIGH or NORMAL for longer histories",
            )
        to = None if end is None else count_end(timeframe, end, now)
    collected: dict[datetime, Candle] = {}
    calls = 0
    while len(collected) < wanted:
        ask = min(MAX_CANDLE_COUNT, wanted - len(collected)) if first is None else MAX_CANDLE_COUNT
        page = await router.fetch_candles(symbol, timeframe, count=ask, to=to, priority=Priority.CRITICAL)
        calls += 1
        for candle in page:
            if first is None or candle.start >= first:
                collected[candle.start] = candle
        if len(page) < ask:
            break  # no older history
        to = page[0].start
        if first is not None and to <= first:
            break
    ordered = CandleColumns.from_candles(symbol, timeframe, list(collected.values()))
    return CriticalCandles(ordered.last(wanted), calls)
