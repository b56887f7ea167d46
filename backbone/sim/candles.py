"""Candle pages as Upbit serves them: newest first, ``to`` exclusive, no candle without trades.

Works on the price engine's minutes; seconds come from a minute's trades, and
days, weeks, months and years from day aggregates, so every timeframe agrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from backbone.sim.markets import SimMarket
from backbone.sim.prices import LRU, MINUTES_PER_DAY, Agg, PriceEngine
from backbone.sim.timefmt import (
    DAY_MS,
    MINUTE_MS,
    date_dash,
    month_start_day,
    naive_kst_string,
    naive_string,
    previous_month_start,
    previous_year_start,
    week_start_day,
    year_start_day,
)

MINUTE_UNITS = (1, 3, 5, 10, 15, 30, 60, 240)
SECONDS_HISTORY_MS = 92 * DAY_MS  # Upbit keeps about three months of second candles
CALENDAR = ("weeks", "months", "years")
Candle = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Groups:
    """Full-day aggregates of one unit: one row per group of ``unit`` minutes."""

    start: np.ndarray
    has: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    value: np.ndarray
    timestamp: np.ndarray


class CandleBook:
    """Answers candle queries for every market from one price engine."""

    def __init__(self, engine: PriceEngine) -> None:
        self.engine = engine
        self._groups: LRU[tuple[int, int, int], Groups] = LRU(1024)

    # ---- minutes -----------------------------------------------------------------

    def _full_groups(self, market: SimMarket, day: int, unit: int) -> Groups:
        return self._groups.get(
            (market.index, day, unit), lambda: self._make_groups(market, day, unit)
        )

    def _make_groups(self, market: SimMarket, day: int, unit: int) -> Groups:
        ch = self.engine.chunk(market, day)
        g = MINUTES_PER_DAY // unit
        starts = day * DAY_MS + np.arange(g, dtype=np.int64) * unit * MINUTE_MS
        if unit == 1:
            return Groups(
                starts,
                ch.active,
                ch.open,
                ch.high,
                ch.low,
                ch.close,
                ch.volume,
                ch.value,
                ch.last_ms,
            )
        act = ch.active.reshape(g, unit)
        rows = np.arange(g)
        first = np.argmax(act, axis=1)
        last = unit - 1 - np.argmax(act[:, ::-1], axis=1)
        return Groups(
            starts,
            act.any(axis=1),
            ch.open.reshape(g, unit)[rows, first],
            np.where(act, ch.high.reshape(g, unit), -np.inf).max(axis=1),
            np.where(act, ch.low.reshape(g, unit), np.inf).min(axis=1),
            ch.close.reshape(g, unit)[rows, last],
            ch.volume.reshape(g, unit).sum(axis=1),
            ch.value.reshape(g, unit).sum(axis=1),
            ch.last_ms.reshape(g, unit)[rows, last],
        )

    def minutes(
        self, market: SimMarket, unit: int, to_ms: int, count: int, now: int
    ) -> list[Candle]:
        """Up to ``count`` minute candles of ``unit`` starting before ``to_ms``, newest first."""
        end = min(to_ms, now + 1)
        out: list[Candle] = []
        day = (end - 1) // DAY_MS
        today = now // DAY_MS
        code = market.code
        while len(out) < count and day >= market.listing_day:
            groups = self._full_groups(market, day, unit)
            limit = MINUTES_PER_DAY // unit
            if day == today:
                current = int((now - day * DAY_MS) // MINUTE_MS) // unit
                limit = current
                start = day * DAY_MS + current * unit * MINUTE_MS
                if start < end:
                    agg = self.engine.window_agg(
                        market, day, current * unit, (current + 1) * unit, now
                    )
                    if agg is not None:
                        out.append(_minute_candle(code, start, agg, unit))
            rows = np.flatnonzero(groups.has[:limit] & (groups.start[:limit] < end))
            take = rows[::-1][: count - len(out)]
            if take.size:
                out.extend(_minute_rows(code, groups, take, unit))
            day -= 1
        return out

    # ---- seconds -------------------------------------------------------------------

    def seconds(self, market: SimMarket, to_ms: int, count: int, now: int) -> list[Candle]:
        """Up to ``count`` one-second candles starting before ``to_ms``, newest first."""
        end = min(to_ms, now + 1)
        horizon = max(now - SECONDS_HISTORY_MS, market.listing_day * DAY_MS)
        out: list[Candle] = []
        minute_start = (end - 1) // MINUTE_MS * MINUTE_MS
        code = market.code
        engine = self.engine
        while len(out) < count and minute_start >= horizon:
            day = minute_start // DAY_MS
            ch = engine.chunk(market, day)
            minute = int((minute_start - day * DAY_MS) // MINUTE_MS)
            if ch.active[minute]:
                tr = engine.minute_trades(market, day, minute)
                n = int(np.searchsorted(tr.timestamp, min(end - 1, now), side="right"))
                visible = tr.timestamp[:n]
                if n:
                    seconds = visible // 1000
                    cut = np.flatnonzero(np.diff(seconds)) + 1
                    bounds = np.concatenate(([0], cut, [n]))
                    for j in range(len(bounds) - 2, -1, -1):
                        a, b = int(bounds[j]), int(bounds[j + 1])
                        start = int(seconds[a]) * 1000
                        if start >= end:
                            continue
                        agg = Agg.of_trades(tr.price[a:b], tr.volume[a:b], int(visible[b - 1]))
                        out.append(_base_candle(code, start, agg))
                        if len(out) >= count:
                            break
                minute_start -= MINUTE_MS
            else:
                # Jump straight to the previous minute that had trades.
                upto = int(ch.last_active_upto[minute])
                if upto >= 0:
                    minute_start = day * DAY_MS + upto * MINUTE_MS
                else:
                    minute_start = day * DAY_MS - MINUTE_MS
        return out

    # ---- days and calendar periods ---------------------------------------------------

    def days(
        self,
        market: SimMarket,
        to_ms: int,
        count: int,
        now: int,
        converting_krw: float | None = None,
    ) -> list[Candle]:
        """Day candles (00:00 UTC) starting before ``to_ms``, newest first."""
        end = min(to_ms, now + 1)
        day = (end - 1) // DAY_MS
        out: list[Candle] = []
        engine = self.engine
        while len(out) < count and day >= market.listing_day:
            agg = engine.day_agg(market, day, now)
            if agg is not None:
                prev = engine.prev_close(market, day)
                candle = _base_candle(market.code, day * DAY_MS, agg)
                change = agg.close - prev
                candle["prev_closing_price"] = prev
                candle["change_price"] = _clean(change)
                candle["change_rate"] = round(change / prev, 10) if prev else 0.0
                if converting_krw is not None:
                    candle["converted_trade_price"] = _clean(agg.close * converting_krw)
                out.append(candle)
            day -= 1
        return out

    def calendar(
        self, market: SimMarket, kind: str, to_ms: int, count: int, now: int
    ) -> list[Candle]:
        """Week (from Monday), month or year candles starting before ``to_ms``, newest first."""
        end = min(to_ms, now + 1)
        last_day = (end - 1) // DAY_MS
        if kind == "weeks":
            start = week_start_day(last_day)
        elif kind == "months":
            start = month_start_day(last_day)
        else:
            start = year_start_day(last_day)
        out: list[Candle] = []
        today = now // DAY_MS
        while len(out) < count:
            if kind == "weeks":
                stop, previous = start + 7, start - 7
            elif kind == "months":
                stop, previous = month_start_day(start + 31), previous_month_start(start)
            else:
                stop, previous = year_start_day(start + 366), previous_year_start(start)
            if stop <= market.listing_day:
                break
            agg: Agg | None = None
            for day in range(max(start, market.listing_day), min(stop, today + 1)):
                piece = self.engine.day_agg(market, day, now)
                if piece is not None:
                    agg = piece if agg is None else agg.then(piece)
            if agg is not None and start * DAY_MS < end:
                candle = _base_candle(market.code, start * DAY_MS, agg)
                candle["first_day_of_period"] = date_dash(start * DAY_MS)
                out.append(candle)
            start = previous
        return out


def _clean(x: float) -> float:
    # Differences of grid prices pick up binary noise; Upbit prints short decimals.
    return round(x, 8)


def _base_candle(code: str, start: int, agg: Agg) -> Candle:
    return {
        "market": code,
        "candle_date_time_utc": naive_string(start),
        "candle_date_time_kst": naive_kst_string(start),
        "opening_price": agg.open,
        "high_price": agg.high,
        "low_price": agg.low,
        "trade_price": agg.close,
        "timestamp": agg.timestamp,
        "candle_acc_trade_price": agg.value,
        "candle_acc_trade_volume": agg.volume,
    }


def _minute_candle(code: str, start: int, agg: Agg, unit: int) -> Candle:
    candle = _base_candle(code, start, agg)
    candle["unit"] = unit
    return candle


def _minute_rows(code: str, g: Groups, rows: np.ndarray, unit: int) -> list[Candle]:
    starts = g.start[rows].tolist()
    o = g.open[rows].tolist()
    h = g.high[rows].tolist()
    lo = g.low[rows].tolist()
    c = g.close[rows].tolist()
    ts = g.timestamp[rows].tolist()
    a = g.value[rows].tolist()
    v = g.volume[rows].tolist()
    return [
        {
            "market": code,
            "candle_date_time_utc": naive_string(starts[i]),
            "candle_date_time_kst": naive_kst_string(starts[i]),
            "opening_price": o[i],
            "high_price": h[i],
            "low_price": lo[i],
            "trade_price": c[i],
            "timestamp": ts[i],
            "candle_acc_trade_price": a[i],
            "candle_acc_trade_volume": v[i],
            "unit": unit,
        }
        for i in range(len(starts))
    ]
