"""The live bot's model: a paper-trading rule on ticks, latency and data age (no Qt).

The rule: long when the short EMA of prices crosses above the long EMA, flat
when it crosses below. Each market trades a fixed KRW stake with a fee, so the
P&L reads in won.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from backbone.api.metrics import TARGET_MS
from backbone.domain.priority import Priority
from ui.models.monitor import format_ms, promise


@dataclass(frozen=True, slots=True)
class Signal:
    """A position change the rule made."""

    market: str
    action: str  # "BUY" or "SELL"
    price: float
    time_ms: int
    pnl_krw: float = 0.0  # realised by a SELL


@dataclass(slots=True)
class PaperPosition:
    """One market's rule state, position and P&L."""

    market: str
    short_period: int = 5
    long_period: int = 20
    stake_krw: float = 1_000_000.0
    fee: float = 0.0005
    short_ema: float = math.nan
    long_ema: float = math.nan
    ticks: int = 0
    last_price: float = math.nan
    entry_price: float | None = None
    realised_krw: float = 0.0
    trades: int = 0
    signal: str = "WARMUP"  # WARMUP, LONG, FLAT

    def __post_init__(self) -> None:
        if not 1 <= self.short_period < self.long_period:
            raise ValueError(
                f"short period ({self.short_period}) must be at least 1 and below the long period ({self.long_period})"
            )

    @property
    def unrealised_krw(self) -> float:
        if self.entry_price is None or math.isnan(self.last_price):
            return 0.0
        return self.stake_krw * (self.last_price / self.entry_price - 1.0)

    @property
    def pnl_krw(self) -> float:
        return self.realised_krw + self.unrealised_krw

    def on_price(self, price: float, time_ms: int) -> Signal | None:
        """Fold one observed price in; a crossing returns the resulting trade."""
        self.ticks += 1
        self.last_price = price
        if self.ticks == 1:
            self.short_ema = self.long_ema = price
            return None
        self.short_ema += 2.0 / (self.short_period + 1) * (price - self.short_ema)
        self.long_ema += 2.0 / (self.long_period + 1) * (price - self.long_ema)
        if self.ticks < self.long_period:
            return None
        want_long = self.short_ema > self.long_ema
        if want_long and self.entry_price is None:
            self.entry_price = price * (1.0 + self.fee)
            self.signal = "LONG"
            self.trades += 1
            return Signal(self.market, "BUY", price, time_ms)
        if not want_long and self.entry_price is not None:
            exit_price = price * (1.0 - self.fee)
            gained = self.stake_krw * (exit_price / self.entry_price - 1.0)
            self.realised_krw += gained
            self.entry_price = None
            self.signal = "FLAT"
            return Signal(self.market, "SELL", price, time_ms, gained)
        self.signal = "LONG" if self.entry_price is not None else "FLAT"
        return None


@dataclass(slots=True)
class LatencyTracker:
    """The recent latencies of one request stream and how many broke the target."""

    target_ms: float = 50.0
    window: deque[float] = field(default_factory=lambda: deque(maxlen=500))
    total: int = 0
    over_target: int = 0

    def add(self, ms: float) -> None:
        self.window.append(ms)
        self.total += 1
        self.over_target += ms > self.target_ms

    @property
    def last(self) -> float:
        return self.window[-1] if self.window else math.nan

    def percentile(self, q: float) -> float:
        if not self.window:
            return math.nan
        return float(np.percentile(np.fromiter(self.window, float), q))


def data_age_ms(ticker: Mapping[str, Any], now_ms: int) -> float:
    """How old a quote is: now minus the exchange's ``timestamp`` on it (ms; nan without one).

    This is the age of the data, which a fresh WebSocket snapshot keeps small; the request
    latency is the separate in-process time the backbone took to answer.
    """
    stamp = ticker.get("timestamp")
    if not isinstance(stamp, int | float) or stamp <= 0:
        return math.nan
    return max(0.0, float(now_ms - stamp))


def critical_summary(snapshot: Any) -> str:
    """The panel's headline from the backbone's recent CRITICAL figure, the same one the status
    bar and the system monitor show."""
    stats = promise(snapshot, Priority.CRITICAL.value)
    target = TARGET_MS[Priority.CRITICAL]
    if stats is None:
        return f"CRITICAL requests, last minute: none yet · target {format_ms(target)}"
    return (
        f"CRITICAL requests, last minute: {stats.count} · p50 {format_ms(stats.p50)}"
        f" · p99 {format_ms(stats.p99)} · target {format_ms(target)}"
    )
