"""Performance statistics of an equity curve and its trades (pure numpy).

Ratios are fractions (0.12 is 12 %). Risk figures are read on calendar days, as a
trader reads them: the Sharpe ratio is annualised from daily returns (KST days,
365 a year since crypto trades every day), never from one-minute bars, whose
near-zero mean and fat tails make the figure meaningless.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from backbone.domain.clock import KST_OFFSET_MS
from ui.models.indicators import FloatArray

DAYS_PER_YEAR = 365.0  # crypto trades every day of the year
MS_PER_DAY = 86_400_000


@dataclass(frozen=True, slots=True)
class Statistics:
    """Headline figures of a backtest."""

    total_return: float
    buy_and_hold_return: float
    max_drawdown: float  # positive fraction of the running peak
    win_rate: float
    sharpe: float  # from daily returns, annualised; 0 with fewer than two days
    trades: int
    bars: int
    profit_factor: float = 0.0  # gross gains over gross losses of trades; inf with no loss
    cagr: float = 0.0  # compound annual growth over the span tested
    exposure: float = 0.0  # share of bars holding a position
    average_trade: float = 0.0  # mean net return per trade
    average_holding_s: float = 0.0  # mean time a trade is held
    days: float = 0.0  # span tested, in days


def total_return(equity: FloatArray) -> float:
    """Final equity over initial equity minus one (equity starts at 1.0)."""
    return float(equity[-1] - 1.0) if len(equity) else 0.0


def drawdown(equity: FloatArray) -> FloatArray:
    """Each bar's fall from the running peak (0 at a new high, -0.25 a quarter below it)."""
    if len(equity) == 0:
        return np.empty(0)
    peaks = np.maximum.accumulate(np.concatenate(([1.0], equity)))[1:]
    return equity / peaks - 1.0


def max_drawdown(equity: FloatArray) -> float:
    """Largest fall from a running peak, as a positive fraction of the peak."""
    return float(-np.min(drawdown(equity))) if len(equity) else 0.0


def win_rate(trade_returns: FloatArray) -> float:
    """Share of trades that made money after fees (0 when there were none)."""
    if len(trade_returns) == 0:
        return 0.0
    return float(np.count_nonzero(trade_returns > 0.0) / len(trade_returns))


def profit_factor(trade_returns: FloatArray) -> float:
    """Sum of winning trades over the sum of losing ones (inf when nothing lost, 0 without trades)."""
    gains = float(trade_returns[trade_returns > 0].sum())
    losses = float(-trade_returns[trade_returns < 0].sum())
    if losses == 0.0:
        return math.inf if gains > 0 else 0.0
    return gains / losses


def daily_returns(start_ms: NDArray[np.int64], equity: FloatArray) -> FloatArray:
    """Return of each KST calendar day: its closing equity over the previous day's (the first
    day over the starting 1.0)."""
    if len(equity) == 0:
        return np.empty(0)
    day = (start_ms + KST_OFFSET_MS) // MS_PER_DAY
    last_of_day = np.flatnonzero(np.diff(day, append=day[-1] + 1))
    closes = equity[last_of_day]
    return closes / np.concatenate(([1.0], closes[:-1])) - 1.0


def sharpe_ratio(start_ms: NDArray[np.int64], equity: FloatArray) -> float:
    """Annualised Sharpe ratio of daily returns (risk-free rate zero, sample deviation)."""
    days = daily_returns(start_ms, equity)
    if len(days) < 2:
        return 0.0
    std = float(np.std(days, ddof=1))
    if std == 0.0 or not math.isfinite(std):
        return 0.0
    return float(np.mean(days) / std * math.sqrt(DAYS_PER_YEAR))


def span_days(start_ms: NDArray[np.int64], bar_seconds: float) -> float:
    """Days from the first bar's start to the last bar's end."""
    if len(start_ms) == 0:
        return 0.0
    return float(start_ms[-1] - start_ms[0]) / MS_PER_DAY + bar_seconds / 86_400.0


def cagr(final_equity: float, days: float) -> float:
    """Compound annual growth rate of reaching ``final_equity`` (from 1.0) in ``days``."""
    if days <= 0.0 or final_equity <= 0.0:
        return -1.0 if final_equity <= 0.0 and days > 0.0 else 0.0
    try:
        return float(final_equity ** (DAYS_PER_YEAR / days) - 1.0)
    except OverflowError:
        return math.inf
