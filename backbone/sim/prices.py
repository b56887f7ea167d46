"""Deterministic price generation: daily anchors, minutes per (market, day), trades per minute.

Generated lazily, vectorised with numpy, cached in LRU maps and never stored.

Top-down, so every level agrees with the others exactly:

* a per-market daily random walk fixes each UTC day's open, high, low, close and
  volume (cheap for years of days at once: 52-week figures need nothing finer);
* a day's 1,440 minutes are a Brownian bridge mapped monotonically so the first
  trade is the day's open, the last its close, and one minute touches the day's
  high and another its low; quiet minutes have no trades (no candle);
* a minute's trades are a bridge between its open and close that touches its high
  and low, with volumes that sum to the minute's volume and value.

Every random draw is seeded by (seed, market, day[, minute]), so any piece can be
regenerated alone and comes out identical.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

from backbone.sim.markets import FIRST_LISTING_DAY, REFERENCE_DAY, SimMarket
from backbone.sim.ticks import PriceGrid
from backbone.sim.timefmt import DAY_MS, MINUTE_MS, day_from_date

MINUTES_PER_DAY = 1440
PRICE_BAND = 0.7  # natural-log distance from the reference price a walk may approach
LAST_DAY = day_from_date(2040, 1, 1)  # the daily walks are drawn this far, once
SERIES_FIRST_DAY = FIRST_LISTING_DAY - 1

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A small least-recently-used map with a compute-on-miss accessor."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K, compute: Callable[[], V]) -> V:
        data = self._data
        try:
            data.move_to_end(key)
            return data[key]
        except KeyError:
            value = compute()
            data[key] = value
            if len(data) > self._size:
                data.popitem(last=False)
            return value

    def contains(self, key: K) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)


@dataclass(frozen=True, slots=True)
class DailySeries:
    """Top-down daily figures of one market, indexed by ``day - SERIES_FIRST_DAY``."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray


@dataclass(frozen=True, slots=True)
class DayChunk:
    """The 1,440 minutes of one market's UTC day (inactive minutes have no trades)."""

    day: int
    active: np.ndarray  # bool
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray  # 0 where inactive
    value: np.ndarray  # 0 where inactive
    trades: np.ndarray  # trade count per minute
    last_ms: np.ndarray  # epoch ms of each minute's last trade
    last_active_upto: np.ndarray  # index of the last active minute <= i, or -1
    cum_volume: np.ndarray
    cum_value: np.ndarray
    cum_high: np.ndarray
    cum_low: np.ndarray


@dataclass(frozen=True, slots=True)
class MinuteTrades:
    """The trades of one minute in time order."""

    timestamp: np.ndarray  # int64 ms
    price: np.ndarray
    volume: np.ndarray
    ask: np.ndarray  # bool: True for ASK (seller-initiated)
    sequential_id: np.ndarray  # int64


@dataclass(frozen=True, slots=True)
class Agg:
    """One candle's figures."""

    open: float
    high: float
    low: float
    close: float
    volume: float
    value: float
    timestamp: int  # ms of the last trade

    @classmethod
    def of_trades(cls, price: np.ndarray, volume: np.ndarray, last_ms: int) -> Agg:
        """The candle of a run of trades (at least one), in time order."""
        return cls(
            float(price[0]),
            float(price.max()),
            float(price.min()),
            float(price[-1]),
            float(volume.sum()),
            float(price @ volume),
            int(last_ms),
        )

    def then(self, later: Agg | None) -> Agg:
        """This candle extended by a later one."""
        if later is None:
            return self
        return Agg(
            self.open,
            max(self.high, later.high),
            min(self.low, later.low),
            later.close,
            self.volume + later.volume,
            self.value + later.value,
            later.timestamp,
        )


class PriceEngine:
    """Generates and caches every market's prices for one seed."""

    def __init__(self, seed: int, *, chunk_cache: int = 640, trade_cache: int = 8192) -> None:
        self.seed = seed
        self._grids = {q: PriceGrid(q) for q in ("KRW", "BTC", "USDT")}
        self._daily: dict[int, DailySeries] = {}
        self._chunks: LRU[tuple[int, int], DayChunk] = LRU(chunk_cache)
        self._trades: LRU[tuple[int, int, int], MinuteTrades] = LRU(trade_cache)
        self._day_aggs: dict[tuple[int, int], Agg | None] = {}

    def grid(self, market: SimMarket) -> PriceGrid:
        """The tick grid of a market's quote currency."""
        return self._grids[market.quote]

    # ---- daily level ---------------------------------------------------------------

    def daily(self, market: SimMarket) -> DailySeries:
        """The top-down daily series of a market (drawn once, for every day up to 2040)."""
        series = self._daily.get(market.index)
        if series is None:
            series = self._make_daily(market)
            self._daily[market.index] = series
        return series

    def _make_daily(self, market: SimMarket) -> DailySeries:
        rng = np.random.default_rng([self.seed, market.index, 0xDA11])
        days = LAST_DAY - SERIES_FIRST_DAY + 1
        sigma = market.daily_volatility
        walk = np.cumsum(rng.standard_normal(days + 1) * sigma)
        ref = REFERENCE_DAY - SERIES_FIRST_DAY
        # A soft bound (tanh) keeps each market within about 2x of its reference level over
        # the years while leaving day-to-day moves a plain random walk.
        drift = walk - walk[ref]
        log_price = math.log(market.reference_price) + PRICE_BAND * np.tanh(drift / PRICE_BAND)
        grid = self.grid(market)
        raw_open = np.exp(log_price[:-1])
        raw_close = np.exp(log_price[1:])
        stretch = np.abs(rng.standard_normal((2, days))) * sigma * 0.5 + sigma * 0.2
        raw_high = np.maximum(raw_open, raw_close) * np.exp(stretch[0])
        raw_low = np.minimum(raw_open, raw_close) * np.exp(-stretch[1])
        floor = 1e-8  # the finest tick of every grid
        rounded = [
            np.maximum(grid.round(a), floor) for a in (raw_open, raw_high, raw_low, raw_close)
        ]
        volume = market.daily_turnover / raw_open * np.exp(rng.standard_normal(days) * 0.4 - 0.08)
        return DailySeries(rounded[0], rounded[1], rounded[2], rounded[3], volume)

    def day_figures(self, market: SimMarket, day: int) -> tuple[float, float, float, float]:
        """Top-down open, high, low and close of a full day."""
        s = self.daily(market)
        k = day - SERIES_FIRST_DAY
        return float(s.open[k]), float(s.high[k]), float(s.low[k]), float(s.close[k])

    def prev_close(self, market: SimMarket, day: int) -> float:
        """The close of the day before ``day`` (its own open if that day had no trading yet)."""
        s = self.daily(market)
        if day - 1 < market.listing_day:
            return float(s.open[day - SERIES_FIRST_DAY])
        return float(s.close[day - 1 - SERIES_FIRST_DAY])

    def is_warm(self, market: SimMarket, now: int) -> bool:
        """True when today's minutes of ``market`` are already generated."""
        return self._chunks.contains((market.index, now // DAY_MS))

    # ---- minute level --------------------------------------------------------------

    def chunk(self, market: SimMarket, day: int) -> DayChunk:
        """The minutes of one UTC day (cached)."""
        return self._chunks.get((market.index, day), lambda: self._make_chunk(market, day))

    def _make_chunk(self, market: SimMarket, day: int) -> DayChunk:
        s = self.daily(market)
        k = day - SERIES_FIRST_DAY
        day_open, day_high, day_low, day_close = s.open[k], s.high[k], s.low[k], s.close[k]
        n = MINUTES_PER_DAY
        rng = np.random.default_rng([self.seed, market.index, day])
        active = rng.random(n) < market.activity
        if active.sum() < 2:
            active[rng.choice(n, size=2, replace=False)] = True
        counts = rng.poisson(max(market.trades_per_minute - 1.0, 0.05), n) + 1
        counts[counts == 3] = 4
        counts = np.where(active, counts, 0)
        idx = np.flatnonzero(active)
        first, last = int(idx[0]), int(idx[-1])
        pick = rng.integers(0, len(idx), size=2)
        imax, imin = int(idx[pick[0]]), int(idx[pick[1]])
        counts[imax] = max(counts[imax], 4)
        counts[imin] = max(counts[imin], 4)

        walk = np.empty(n + 1)
        walk[0] = 0.0
        np.cumsum(rng.standard_normal(n), out=walk[1:])
        t = np.linspace(0.0, 1.0, n + 1)
        bridge = walk - t * walk[-1]
        lo_target, hi_target = math.log(day_open), math.log(day_close)
        span = max(math.log(day_high / day_low), 1e-9)
        step = span / (3.0 * math.sqrt(n))
        path = lo_target + (hi_target - lo_target) * t + bridge * step
        opens = path[:-1].copy()
        closes = path[1:].copy()
        opens[first] = lo_target
        closes[last] = hi_target
        single = counts == 1
        closes[single] = opens[single]
        if counts[last] == 1:
            opens[last] = hi_target
        big = counts >= 4
        wick = np.abs(rng.standard_normal((2, n))) * step * 0.7
        highs = np.maximum(opens, closes) + wick[0] * big
        lows = np.minimum(opens, closes) - wick[1] * big
        highs[imax] = highs[active].max() + step
        lows[imin] = lows[active].min() - step
        # Monotone map of the raw path onto the day's figures: shape kept, extremes pinned.
        xp = [lows[imin], min(lo_target, hi_target), max(lo_target, hi_target), highs[imax]]
        fp = [
            math.log(day_low),
            math.log(min(day_open, day_close)),
            math.log(max(day_open, day_close)),
            math.log(day_high),
        ]
        grid = self.grid(market)
        o, h, lo, c = (
            grid.round(np.exp(np.interp(a, xp, fp))) for a in (opens, highs, lows, closes)
        )
        o[first] = day_open
        c[last] = day_close
        h[imax] = day_high
        lo[imin] = day_low
        # Rounding may pull a wick inside its body; keep every candle well-formed.
        h = np.maximum(h, np.maximum(o, c))
        lo = np.minimum(lo, np.minimum(o, c))

        weights = counts * np.exp(rng.standard_normal(n) * 0.5)
        volume = s.volume[k] * weights / weights.sum()
        vwap = np.where(
            counts == 1, o, np.where(counts == 2, (o + c) * 0.5, (o + h + lo + c) * 0.25)
        )
        value = volume * vwap
        gap = np.minimum(rng.exponential(MINUTE_MS / (counts + 1.0)), MINUTE_MS - 1).astype(
            np.int64
        )
        last_ms = day * DAY_MS + np.arange(n, dtype=np.int64) * MINUTE_MS + (MINUTE_MS - 1 - gap)
        positions = np.where(active, np.arange(n), -1)
        return DayChunk(
            day=day,
            active=active,
            open=o,
            high=h,
            low=lo,
            close=c,
            volume=volume,
            value=value,
            trades=counts,
            last_ms=last_ms,
            last_active_upto=np.maximum.accumulate(positions),
            cum_volume=np.cumsum(volume),
            cum_value=np.cumsum(value),
            cum_high=np.maximum.accumulate(np.where(active, h, -np.inf)),
            cum_low=np.minimum.accumulate(np.where(active, lo, np.inf)),
        )

    # ---- trade level ---------------------------------------------------------------

    def minute_trades(self, market: SimMarket, day: int, minute: int) -> MinuteTrades:
        """The trades of one minute (cached); empty when the minute had none."""
        key = (market.index, day, minute)
        return self._trades.get(key, lambda: self._make_trades(market, day, minute))

    def _make_trades(self, market: SimMarket, day: int, minute: int) -> MinuteTrades:
        ch = self.chunk(market, day)
        count = int(ch.trades[minute])
        if count == 0:
            empty_i = np.empty(0, dtype=np.int64)
            empty_f = np.empty(0)
            return MinuteTrades(empty_i, empty_f, empty_f, np.empty(0, dtype=bool), empty_i)
        o, h, lo, c = ch.open[minute], ch.high[minute], ch.low[minute], ch.close[minute]
        rng = np.random.default_rng([self.seed, market.index, day, minute, 7])
        if count == 1:
            prices = np.array([o])
        elif count == 2:
            prices = np.array([o, c])
        else:
            walk = np.cumsum(rng.standard_normal(count))
            t = np.linspace(0.0, 1.0, count)
            direction = float(np.sign(c - o))
            raw = direction * t + (walk - walk[0] - t * (walk[-1] - walk[0])) * 0.3
            raw[0], raw[-1] = 0.0, direction
            inner = rng.choice(np.arange(1, count - 1), size=2, replace=False)
            raw[inner[0]] = raw.max() + 0.1
            raw[inner[1]] = raw.min() - 0.1
            xp = [raw[inner[1]], min(0.0, direction), max(0.0, direction), raw[inner[0]]]
            fp = [lo, min(o, c), max(o, c), h]
            prices = self.grid(market).round(np.interp(raw, xp, fp))
            prices = np.clip(prices, lo, h)
            prices[0], prices[-1] = o, c
            prices[inner[0]], prices[inner[1]] = h, lo
        weights = rng.exponential(1.0, count) + 0.05
        weights /= weights.sum()
        target = ch.value[minute] / ch.volume[minute]
        mean = float(weights @ prices)
        top, bottom = int(np.argmax(prices)), int(np.argmin(prices))
        # Blend toward the highest or lowest trade so the volume-weighted price is exact.
        if target > mean and prices[top] > mean:
            alpha = min((target - mean) / (prices[top] - mean), 1.0)
            weights *= 1.0 - alpha
            weights[top] += alpha
        elif target < mean and prices[bottom] < mean:
            alpha = min((mean - target) / (mean - prices[bottom]), 1.0)
            weights *= 1.0 - alpha
            weights[bottom] += alpha
        volumes = ch.volume[minute] * weights
        last_ms = int(ch.last_ms[minute])
        start = day * DAY_MS + minute * MINUTE_MS
        stamps = np.sort(rng.integers(start, last_ms + 1, size=count))
        stamps[-1] = last_ms
        ask = rng.random(count) < 0.5
        sequence = stamps * 1000 + np.arange(count) % 1000
        return MinuteTrades(
            stamps.astype(np.int64), prices, volumes, ask, sequence.astype(np.int64)
        )

    # ---- aggregates ------------------------------------------------------------------

    def minutes_agg(self, ch: DayChunk, start: int, stop: int) -> Agg | None:
        """Aggregate of complete minutes ``[start, stop)`` of a chunk, or None without trades."""
        if stop <= start:
            return None
        if start == 0:
            last = int(ch.last_active_upto[stop - 1])
            if last < 0:
                return None
            first = int(np.argmax(ch.active))
            return Agg(
                float(ch.open[first]),
                float(ch.cum_high[stop - 1]),
                float(ch.cum_low[stop - 1]),
                float(ch.close[last]),
                float(ch.cum_volume[stop - 1]),
                float(ch.cum_value[stop - 1]),
                int(ch.last_ms[last]),
            )
        act = ch.active[start:stop]
        rel = np.flatnonzero(act)
        if rel.size == 0:
            return None
        first, last = start + int(rel[0]), start + int(rel[-1])
        return Agg(
            float(ch.open[first]),
            float(ch.high[start:stop][act].max()),
            float(ch.low[start:stop][act].min()),
            float(ch.close[last]),
            float(ch.volume[start:stop].sum()),
            float(ch.value[start:stop].sum()),
            int(ch.last_ms[last]),
        )

    def partial_minute(self, market: SimMarket, day: int, minute: int, now: int) -> Agg | None:
        """The forming minute: its trades up to and including ``now``."""
        tr = self.minute_trades(market, day, minute)
        n = int(np.searchsorted(tr.timestamp, now, side="right"))
        if n == 0:
            return None
        return Agg.of_trades(tr.price[:n], tr.volume[:n], int(tr.timestamp[n - 1]))

    def window_agg(
        self, market: SimMarket, day: int, start: int, stop: int, now: int
    ) -> Agg | None:
        """Aggregate of minutes ``[start, stop)`` of ``day`` as visible at ``now``."""
        if day < market.listing_day:
            return None
        day_ms = day * DAY_MS
        current = (now - day_ms) // MINUTE_MS
        ch = self.chunk(market, day)
        if current >= stop:
            return self.minutes_agg(ch, start, stop)
        if current < start:
            return None
        done = self.minutes_agg(ch, start, int(current))
        partial = self.partial_minute(market, day, int(current), now)
        if done is None:
            return partial
        return done.then(partial)

    def day_agg(self, market: SimMarket, day: int, now: int) -> Agg | None:
        """One UTC day as visible at ``now`` (finished days cached)."""
        if day < market.listing_day or day * DAY_MS > now:
            return None
        if (day + 1) * DAY_MS <= now:
            key = (market.index, day)
            if key not in self._day_aggs:
                if len(self._day_aggs) > 400_000:
                    self._day_aggs.clear()
                self._day_aggs[key] = self.minutes_agg(self.chunk(market, day), 0, MINUTES_PER_DAY)
            return self._day_aggs[key]
        return self.window_agg(market, day, 0, MINUTES_PER_DAY, now)

    def last_trade(self, market: SimMarket, now: int) -> tuple[int, int, int] | None:
        """(day, minute, index) of the newest trade at or before ``now``, looking back a week."""
        day = now // DAY_MS
        for back in range(8):
            d = day - back
            if d < market.listing_day:
                return None
            ch = self.chunk(market, d)
            if back == 0:
                current = int((now - d * DAY_MS) // MINUTE_MS)
                tr = self.minute_trades(market, d, current)
                n = int(np.searchsorted(tr.timestamp, now, side="right"))
                if n:
                    return d, current, n - 1
                upto = int(ch.last_active_upto[current - 1]) if current > 0 else -1
            else:
                upto = int(ch.last_active_upto[-1])
            if upto >= 0:
                return d, upto, int(ch.trades[upto]) - 1
        return None
