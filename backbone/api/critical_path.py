"""The critical path: straight to Layer 1, no storage, no queue.

A live bot's ticker or order book comes from a fresh WebSocket snapshot when
one exists, otherwise from REST with the tokens reserved for CRITICAL. Its
candles come from the candle stream plus storage when a stream is subscribed
and every closed candle before the stream's newest one is either proven final by
the stream itself (it saw the slot close, unbroken) or held by storage; the
proven ones are then stored, so in steady state a streamed bot makes no REST
call at all. Otherwise from REST, page by page.
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
            return streamed
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
) -> CriticalCandles | None:
    """The newest candles from the live stream plus stored closed ones, or None.

    Exact only when nothing can be missing: the stream is confirmed current (so no newer
    candle exists); every slot before the stream's candle is either proven closed by the
    stream (:meth:`SmartRouter.stream_closes`, as strict as REST's rule) or inside
    storage's coverage from the oldest candle returned; and the stream still shows the
    same candle after storage answered (a slot that closed meanwhile would leave a hole).
    Proven slots storage lacks come back as ``closed``, to be stored off the request
    path. ``first`` set: the candles from ``first`` on; else the newest ``wanted``.
    """
    live = router.live_candle(symbol, timeframe)
    if live is None or (first is not None and live.start < first):
        return None
    proof = router.stream_closes(symbol, timeframe)
    if proof is not None and live.start > proof.end:
        proof = None  # unproven slots between the proof and the stream's candle
    # Storage must hold every closed candle before ``boundary``. Proven slots after an older
    # stream candle had no trades: worth storing, but the slots between that candle and the
    # proof stay storage's to answer for, as without a proof.
    if proof is not None and proof.start <= live.start:
        boundary, proven, forming = proof.start, list(proof.candles), live.start == proof.end
    else:
        boundary, proven, forming = live.start, [], True
    tail = CandleColumns.from_candles(symbol, timeframe, [*proven, live] if forming else proven)
    if first is not None:
        tail = tail[int(np.searchsorted(tail.start_ms, utc_to_ms(first))) :]
        oldest = first
        stored = (
            await store.read_candles(symbol, timeframe, first, boundary)
            if first < boundary
            else CandleColumns.empty(symbol, timeframe)
        )
    else:
        need = wanted - len(tail)
        stored = (
            await store.read_latest_candles(symbol, timeframe, boundary, need)
            if need > 0
            else CandleColumns.empty(symbol, timeframe)
        )
        if len(stored) < need:
            return None  # storage does not reach back far enough
        tail = tail.last(wanted)
        oldest = ms_to_utc(int(stored.start_ms[0])) if len(stored) else boundary
    checked_to = boundary if proof is None else max(boundary, proof.end)
    gaps = await store.missing(symbol, timeframe, oldest, checked_to) if oldest < checked_to else []
    if gaps and gaps[0][0] < boundary:
        return None  # storage lacks closed candles the stream cannot vouch for
    now_live = router.live_candle(symbol, timeframe)
    if now_live is None or now_live.start != live.start:
        return None
    if forming and len(tail) and int(tail.start_ms[-1]) == now_live.start_ms:
        tail = tail.merge(CandleColumns.from_candles(symbol, timeframe, [now_live]))
    closed = None
    if proof is not None and gaps and gaps[-1][1] > proof.start:
        final = CandleColumns.from_candles(symbol, timeframe, list(proof.candles))
        closed = ClosedCandles(final, (proof.start, proof.end))
    return CriticalCandles(CandleColumns.concat([stored, tail]), 0, "websocket", closed=closed)
