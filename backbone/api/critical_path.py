"""The critical path: straight to Layer 1, no storage, no queue.

A live bot's ticker or order book comes from a fresh WebSocket snapshot when
one exists, otherwise from REST with the tokens reserved for CRITICAL. Its
candles come from the candle stream plus storage when a stream is subscribed
and storage provably holds every closed candle before the stream's newest one;
otherwise from REST, page by page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from backbone.domain.candle_columns import CandleColumns
from backbone.domain.candle_range import closed_end, count_end, range_slots
from backbone.domain.clock import ms_to_utc, utc_to_ms
from backbone.domain.errors import InvalidInputError
from backbone.domain.priority import Priority
from backbone.domain.timeframes import Timeframe
from backbone.router import SmartRouter
from backbone.router.endpoints import MAX_CANDLE_COUNT, MAX_TRADE_COUNT
from backbone.storage import MarketStore

CRITICAL_MAX_CANDLES = 1_000  # five exchange pages: what a live bot needs, bounded


@dataclass(frozen=True, slots=True)
class CriticalAnswer:
    data: list[dict[str, Any]]
    upstream_calls: int
    channel: str


@dataclass(frozen=True, slots=True)
class ClosedCandles:
    """Closed candles the exchange just gave, complete over ``covered``: worth storing."""

    candles: CandleColumns
    covered: tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class CriticalCandles:
    candles: CandleColumns
    upstream_calls: int
    channel: str = "rest"
    closed: ClosedCandles | None = None


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
    store: MarketStore,
    symbol: str,
    timeframe: Timeframe,
    count: int | None,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
) -> CriticalCandles:
    """The latest ``count`` candles before ``end``, or those starting in ``[start, end)``.

    Up to the exchange's now, with a live candle stream subscribed, answered from the
    stream and storage (see :func:`_from_stream`); otherwise fetched page by page
    backwards straight from the exchange and never stored. A live bot needs recent
    candles, so at most ``CRITICAL_MAX_CANDLES`` may be asked; longer histories belong
    on HIGH or NORMAL, which store what they fetch.
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
            return CriticalCandles(CandleColumns.empty(symbol, timeframe), 0)
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
    if end is None:
        streamed = await _from_stream(router, store, symbol, timeframe, wanted, first)
        if streamed is not None:
            return CriticalCandles(streamed, 0, "websocket")
    ordered = CandleColumns.empty(symbol, timeframe)
    first_ms = None if first is None else utc_to_ms(first)
    calls = 0
    up_to_now = to is None
    exchange_time: datetime | None = None
    oldest: datetime | None = None  # pages are contiguous back to here
    while len(ordered) < wanted:
        ask = min(MAX_CANDLE_COUNT, wanted - len(ordered)) if first is None else MAX_CANDLE_COUNT
        page = await router.fetch_candles(symbol, timeframe, count=ask, to=to, priority=Priority.CRITICAL)
        calls += 1
        exchange_time = exchange_time or page.exchange_time
        got = page.candles
        if len(got):
            oldest = ms_to_utc(int(got.start_ms[0]))
        if first_ms is not None:
            got = got[int(np.searchsorted(got.start_ms, first_ms)) :]
        ordered = ordered.merge(got)  # a start given again: the later page's candle wins
        if len(page) < ask:
            break  # no older history
        to = oldest
        if first is not None and to is not None and to <= first:
            break
    closed = _closed_part(ordered, timeframe, oldest, first, exchange_time) if up_to_now else None
    return CriticalCandles(ordered.last(wanted), calls, closed=closed)


def _closed_part(
    ordered: CandleColumns,
    timeframe: Timeframe,
    oldest: datetime | None,
    first: datetime | None,
    exchange_time: datetime | None,
) -> ClosedCandles | None:
    """The closed candles of pages fetched back from the exchange's now: complete from the
    oldest page's first candle (or ``first``, below which nothing was kept) to what the
    exchange's clock says has closed. Stored, they let the next CRITICAL request for a
    streamed market be answered from the stream and storage."""
    if oldest is None:
        return None
    start = oldest if first is None else max(oldest, first)
    end = closed_end(timeframe, exchange_time, start)
    if end <= start:
        return None
    return ClosedCandles(ordered.between(utc_to_ms(start), utc_to_ms(end)), (start, end))


async def _from_stream(
    router: SmartRouter,
    store: MarketStore,
    symbol: str,
    timeframe: Timeframe,
    wanted: int,
    first: datetime | None,
) -> CandleColumns | None:
    """The newest candles from the live stream's candle plus stored closed ones, or None.

    Exact only when nothing can be missing: the stream is confirmed current (so no newer
    candle exists), storage's coverage spans every slot from the oldest candle returned
    up to the stream's candle (so no closed candle is missing), and the stream still
    shows the same candle after storage answered (a slot that closed meanwhile would
    leave a hole). ``first`` set: the candles from ``first`` on; else the newest ``wanted``.
    """
    live = router.live_candle(symbol, timeframe)
    if live is None or (first is not None and live.start < first):
        return None
    if first is not None:
        closed = await store.read_candles(symbol, timeframe, first, live.start)
        oldest = first
    else:
        closed = await store.read_latest_candles(symbol, timeframe, live.start, wanted - 1)
        if len(closed) < wanted - 1:
            return None  # storage does not reach back far enough
        oldest = ms_to_utc(int(closed.start_ms[0])) if len(closed) else live.start
    if oldest < live.start and await store.missing(symbol, timeframe, oldest, live.start):
        return None
    now_live = router.live_candle(symbol, timeframe)
    if now_live is None or now_live.start != live.start:
        return None
    newest = CandleColumns.from_candles(symbol, timeframe, [now_live])
    return CandleColumns.concat([closed, newest])
