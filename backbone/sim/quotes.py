"""Tickers, order books and trade lists derived from the same generated trades as the candles.

The ticker's price is the newest trade at or before now, its daily figures are the
day candle so far (reset at 00:00 UTC), the order book straddles the last trade.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import numpy as np

from backbone.sim.markets import SimMarket
from backbone.sim.prices import MINUTES_PER_DAY, SERIES_FIRST_DAY, MinuteTrades, PriceEngine
from backbone.sim.timefmt import (
    DAY_MS,
    KST_OFFSET_MS,
    MINUTE_MS,
    date_compact,
    date_dash,
    time_colon,
    time_compact,
)

ORDERBOOK_UNITS = 30
Record = dict[str, Any]


def decimal_text(x: float) -> str:
    """A number as Upbit writes it in strings: plain decimal, no exponent, no trailing zeros."""
    text = format(Decimal(repr(x)).normalize(), "f")
    return text


def trade_record(code: str, tr: MinuteTrades, j: int, prev: float) -> Record:
    """The ``/trades/ticks`` record of trade ``j`` of a minute."""
    ts = int(tr.timestamp[j])
    price = float(tr.price[j])
    return {
        "market": code,
        "trade_date_utc": date_dash(ts),
        "trade_time_utc": time_colon(ts),
        "timestamp": ts,
        "trade_price": price,
        "trade_volume": round(float(tr.volume[j]), 8),
        "prev_closing_price": prev,
        "change_price": round(price - prev, 8),
        "ask_bid": "ASK" if tr.ask[j] else "BID",
        "sequential_id": int(tr.sequential_id[j]),
    }


class QuoteDesk:
    """Builds ticker, order book and trade records from a price engine."""

    def __init__(self, engine: PriceEngine) -> None:
        self.engine = engine
        self._week52: dict[tuple[int, int], tuple[float, int, float, int]] = {}

    # ---- trades --------------------------------------------------------------------

    def last_trade(self, market: SimMarket, now: int) -> tuple[float, float, int, bool, int] | None:
        """(price, volume, timestamp, is_ask, sequential_id) of the newest trade at or before now."""
        found = self.engine.last_trade(market, now)
        if found is None:
            return None
        day, minute, j = found
        tr = self.engine.minute_trades(market, day, minute)
        return (
            float(tr.price[j]),
            float(tr.volume[j]),
            int(tr.timestamp[j]),
            bool(tr.ask[j]),
            int(tr.sequential_id[j]),
        )

    def trades(
        self,
        market: SimMarket,
        day: int,
        end_ms: int,
        count: int,
        now: int,
        cursor: int | None = None,
    ) -> list[Record]:
        """Up to ``count`` trades of UTC ``day`` before ``end_ms`` (and older than ``cursor``), newest first."""
        engine = self.engine
        out: list[Record] = []
        if day < market.listing_day:
            return out
        end = min(end_ms, now + 1, (day + 1) * DAY_MS)
        if end <= day * DAY_MS:
            return out
        ch = engine.chunk(market, day)
        prev = engine.prev_close(market, day)
        minute = int((end - 1 - day * DAY_MS) // MINUTE_MS)
        minute = int(ch.last_active_upto[minute])
        code = market.code
        while minute >= 0 and len(out) < count:
            tr = engine.minute_trades(market, day, minute)
            keep = tr.timestamp < end
            if cursor is not None:
                keep &= tr.sequential_id < cursor
            rows = np.flatnonzero(keep)[::-1][: count - len(out)]
            out.extend(trade_record(code, tr, j, prev) for j in rows.tolist())
            minute = int(ch.last_active_upto[minute - 1]) if minute > 0 else -1
        return out

    def trades_after(
        self, market: SimMarket, cursor: int, now: int, limit: int = 200
    ) -> list[Record]:
        """Trades newer than sequential id ``cursor`` up to ``now``, oldest first (at most ``limit``)."""
        engine = self.engine
        out: list[Record] = []
        start = max(cursor // 1000, now - DAY_MS)
        minute_ms = start // MINUTE_MS * MINUTE_MS
        while minute_ms <= now and len(out) < limit:
            day = minute_ms // DAY_MS
            if day >= market.listing_day:
                minute = int((minute_ms - day * DAY_MS) // MINUTE_MS)
                if engine.chunk(market, day).active[minute]:
                    tr = engine.minute_trades(market, day, minute)
                    rows = np.flatnonzero((tr.sequential_id > cursor) & (tr.timestamp <= now))
                    if rows.size:
                        prev = engine.prev_close(market, day)
                        out.extend(
                            trade_record(market.code, tr, j, prev)
                            for j in rows[: limit - len(out)].tolist()
                        )
            minute_ms += MINUTE_MS
        return out

    def latest_trade_day(self, market: SimMarket, now: int) -> int:
        """The UTC day of the newest trade (today, unless nothing traded yet today)."""
        found = self.engine.last_trade(market, now)
        return found[0] if found is not None else now // DAY_MS

    # ---- ticker --------------------------------------------------------------------

    def _week52_before(self, market: SimMarket, day: int) -> tuple[float, int, float, int]:
        key = (market.index, day)
        cached = self._week52.get(key)
        if cached is None:
            series = self.engine.daily(market)
            first = max(day - 364, market.listing_day)
            series_start = SERIES_FIRST_DAY
            offset = first - series_start
            hi = series.high[offset : day - series_start]
            lo = series.low[offset : day - series_start]
            if hi.size == 0:
                cached = (-math.inf, day, math.inf, day)
            else:
                ih, il = int(np.argmax(hi)), int(np.argmin(lo))
                cached = (float(hi[ih]), first + ih, float(lo[il]), first + il)
            if len(self._week52) > 100_000:
                self._week52.clear()
            self._week52[key] = cached
        return cached

    def ticker(self, market: SimMarket, now: int) -> Record:
        """The REST ticker of a market at ``now``."""
        engine = self.engine
        day = now // DAY_MS
        prev = engine.prev_close(market, day)
        today = engine.day_agg(market, day, now)
        last = self.last_trade(market, now)
        if last is None:
            price, volume, trade_ts = prev, 0.0, day * DAY_MS
        else:
            price, volume, trade_ts = last[0], last[1], last[2]
        if today is None:
            opening = high = low = prev
            acc_volume = acc_value = 0.0
        else:
            opening, high, low = today.open, today.high, today.low
            acc_volume, acc_value = today.volume, today.value
        # The rolling 24 hours add yesterday's minutes after this time of day.
        volume_24h, value_24h = acc_volume, acc_value
        if day - 1 >= market.listing_day:
            ch = engine.chunk(market, day - 1)
            current = int((now - day * DAY_MS) // MINUTE_MS)
            if current < MINUTES_PER_DAY - 1:
                volume_24h += float(ch.cum_volume[-1] - ch.cum_volume[current])
                value_24h += float(ch.cum_value[-1] - ch.cum_value[current])
        hi52, hi52_day, lo52, lo52_day = self._week52_before(market, day)
        if today is not None and today.high >= hi52:
            hi52, hi52_day = today.high, day
        if today is not None and today.low <= lo52:
            lo52, lo52_day = today.low, day
        if not math.isfinite(hi52):
            hi52, hi52_day, lo52, lo52_day = high, day, low, day
        diff = price - prev
        change = "RISE" if diff > 0 else "FALL" if diff < 0 else "EVEN"
        rate = abs(diff) / prev if prev else 0.0
        sign = 1.0 if diff >= 0 else -1.0
        return {
            "market": market.code,
            "trade_date": date_compact(trade_ts),
            "trade_time": time_compact(trade_ts),
            "trade_date_kst": date_compact(trade_ts + KST_OFFSET_MS),
            "trade_time_kst": time_compact(trade_ts + KST_OFFSET_MS),
            "trade_timestamp": trade_ts,
            "opening_price": opening,
            "high_price": high,
            "low_price": low,
            "trade_price": price,
            "prev_closing_price": prev,
            "change": change,
            "change_price": round(abs(diff), 8),
            "change_rate": round(rate, 10),
            "signed_change_price": round(sign * abs(diff), 8),
            "signed_change_rate": round(sign * rate, 10),
            "trade_volume": round(volume, 8),
            "acc_trade_price": acc_value,
            "acc_trade_price_24h": value_24h,
            "acc_trade_volume": acc_volume,
            "acc_trade_volume_24h": volume_24h,
            "highest_52_week_price": hi52,
            "highest_52_week_date": date_dash(hi52_day * DAY_MS),
            "lowest_52_week_price": lo52,
            "lowest_52_week_date": date_dash(lo52_day * DAY_MS),
            "timestamp": now,
        }

    # ---- order book ------------------------------------------------------------------

    def supported_levels(self, market: SimMarket, now: int) -> list[float]:
        """Grouping levels the order book accepts (KRW markets only group)."""
        if market.quote != "KRW":
            return [0.0]
        tick = self.engine.grid(market).tick(self._price(market, now))
        return [0.0] + [round(tick * 10**k, 8) for k in range(1, 5)]

    def instrument(self, market: SimMarket, now: int) -> Record:
        """The ``/orderbook/instruments`` record of a market."""
        tick = self.engine.grid(market).tick(self._price(market, now))
        return {
            "market": market.code,
            "quote_currency": market.quote,
            "tick_size": decimal_text(tick),
            "supported_levels": [decimal_text(x) for x in self.supported_levels(market, now)],
        }

    def _price(self, market: SimMarket, now: int) -> float:
        last = self.last_trade(market, now)
        return last[0] if last is not None else self.engine.prev_close(market, now // DAY_MS)

    def orderbook(
        self, market: SimMarket, now: int, count: int = ORDERBOOK_UNITS, level: float = 0.0
    ) -> Record:
        """The order book at ``now``: ``count`` units either side of the last trade."""
        last = self.last_trade(market, now)
        if last is None:
            price, was_ask = self.engine.prev_close(market, now // DAY_MS), False
        else:
            price, was_ask = last[0], last[3]
        grid = self.engine.grid(market)
        step = level if level > 0 else grid.tick(price)
        digits = max(grid.decimals(price), 0) if level <= 0 else 8
        if level > 0:
            best_ask = math.ceil(price / step - 1e-9) * step
            best_bid = math.floor(price / step + 1e-9) * step
            if best_bid >= best_ask:
                best_bid = best_ask - step
        elif was_ask:
            best_bid, best_ask = price, price + step
        else:
            best_bid, best_ask = price - step, price
        k = np.arange(count)
        asks = np.round(best_ask + k * step, digits)
        bids = np.round(best_bid - k * step, digits)
        rng = np.random.default_rng([self.engine.seed, market.index, now // 250, 0x0B])
        typical = max(market.daily_turnover / max(price, 1e-12) / 20_000.0, 1e-4)
        scale = typical * math.sqrt(step / grid.tick(price))
        sizes = np.round(rng.lognormal(0.0, 1.0, (2, count)) * scale, 8)
        units = [
            {"ask_price": a, "bid_price": b, "ask_size": sa, "bid_size": sb}
            for a, b, sa, sb in zip(
                asks.tolist(), bids.tolist(), sizes[0].tolist(), sizes[1].tolist(), strict=True
            )
        ]
        return {
            "market": market.code,
            "timestamp": now,
            "total_ask_size": round(float(sizes[0].sum()), 8),
            "total_bid_size": round(float(sizes[1].sum()), 8),
            "orderbook_units": units,
            "level": int(level) if float(level).is_integer() else level,
        }
