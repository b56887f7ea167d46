"""Coarser candles from finer ones, the way Upbit builds them.

A coarser candle is the open of its first finer candle, the highest high, the lowest
low, the close of its last, the summed volume and value, and the last trade time of
its last. Slots follow Upbit's UTC alignment: minutes on the epoch, days at 00:00 UTC
(09:00 KST), weeks on Monday, months on the 1st, years on 1 January. Day candles add
the previous day's close and the change from it. All of it on the columns at once.
"""

from __future__ import annotations

import numpy as np

from backbone.domain.candle_columns import CandleColumns, FloatArray, IntArray
from backbone.domain.clock import DAY_MS, MINUTE_MS
from backbone.domain.timeframes import TIMEFRAMES, Timeframe, slot_starts_of

# Upbit prints day changes as short decimals: the price change to 8 places, the rate to 10.
CHANGE_PRICE_DECIMALS = 8
CHANGE_RATE_DECIMALS = 10

DERIVABLE = ("3m", "5m", "10m", "15m", "30m", "60m", "240m", "1d", "1w", "1M", "1y")


def aggregate(finer: CandleColumns, target: Timeframe) -> CandleColumns:
    """``finer`` candles grouped into ``target`` slots; a slot without finer candles has none.

    Day candles get ``prev_closing_price`` from the candle before them in ``finer`` when
    it is the previous day's; otherwise (the first day, or after a day without trades)
    the change fields stay empty, and the caller decides whether that day is usable.
    """
    if not len(finer):
        return CandleColumns.empty(finer.market, target)
    if target.calendar or target.code == "1w":
        if finer.timeframe.code != "1d":
            # Periods are sums of whole days, as the exchange adds them up.
            finer = aggregate(finer, TIMEFRAMES["1d"])
    slots = slot_starts_of(finer.start_ms, target)
    first = np.flatnonzero(np.r_[True, slots[1:] != slots[:-1]])
    last = np.r_[first[1:], len(slots)] - 1
    close = finer.close[last]
    n = len(first)
    prev = np.full(n, np.nan)
    change = np.full(n, np.nan)
    rate = np.full(n, np.nan)
    starts = slots[first]
    if target.code == "1d" and n > 1:
        follows = starts[1:] - starts[:-1] == DAY_MS
        prev[1:] = np.where(follows, close[:-1], np.nan)
        change = np.round(close - prev, CHANGE_PRICE_DECIMALS)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(prev != 0, np.round((close - prev) / prev, CHANGE_RATE_DECIMALS), 0.0)
        rate = np.where(np.isnan(prev), np.nan, rate)
    return CandleColumns(
        finer.market,
        target,
        start_ms=starts,
        open=finer.open[first],
        high=np.maximum.reduceat(finer.high, first),
        low=np.minimum.reduceat(finer.low, first),
        close=close,
        volume=_slot_sums(finer, finer.volume, slots, first, last, target),
        value=_slot_sums(finer, finer.value, slots, first, last, target),
        last_trade_ms=finer.last_trade_ms[last],
        prev_closing_price=prev,
        change_price=change,
        change_rate=rate,
        filled=np.zeros(n, np.bool_),
    )


def _slot_sums(
    finer: CandleColumns,
    values: FloatArray,
    slots: IntArray,
    first: IntArray,
    last: IntArray,
    target: Timeframe,
) -> FloatArray:
    """Per-slot sums, added in the order the exchange adds them, so the floats agree bit for bit.

    Minute slots are summed over every minute of the slot (a minute without trades adds
    0.0, but shifts numpy's pairwise grouping), days minute after minute, and longer
    periods day after day.
    """
    unit = target.minute_unit
    if unit is not None and finer.timeframe.code == "1m":
        dense = np.zeros((len(first), unit))
        group = np.repeat(np.arange(len(first)), last - first + 1)
        dense[group, (finer.start_ms - slots) // MINUTE_MS] = values
        return dense.sum(axis=1)  # type: ignore[no-any-return]
    return np.fromiter(
        (np.cumsum(values[a : b + 1])[-1] for a, b in zip(first.tolist(), last.tolist(), strict=True)),
        np.float64,
        len(first),
    )
