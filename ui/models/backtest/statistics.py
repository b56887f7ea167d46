"""Performance statistics of an equity curve and a trade list (pure numpy)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ui.models.indicators import FloatArray

SECONDS_PER_YEAR = 365.0 * 86400.0  # crypto trades every day of the year


@dataclass(frozen=True, slots=True)
class Statistics:
    """Headline figures of a backtest. Ratios are fractions (0.12 is 12 %)."""

    total_return: float
    buy_and_hold_return: float
    max_drawdown: float
    win_rate: float
    sharpe: float
    trades: int
    bars: int


def total_return(equity: FloatArray) -> float:
    """Final equity over initial equity minus one (equity starts at 1.0)."""
    return float(equity[-1] - 1.0) if len(equity) else 0.0


def max_drawdown(equity: FloatArray) -> float:
    """Largest fall from a running peak, as a positive fraction of the peak."""
    if len(equity) == 0:
        return 0.0
    peaks = np.maximum.accumulate(np.concatenate(([1.0], equity)))[1:]
    return float(np.max(1.0 - equity / peaks))


def win_rate(trade_returns: FloatArray) -> float:
    """Share of trades that made money after fees (0 when there were none)."""
    if len(trade_returns) == 0:
        return 0.0
    return float(np.count_nonzero(trade_returns > 0.0) / len(trade_returns))


def sharpe_ratio(bar_returns: FloatArray, bar_seconds: float) -> float:
    """Annualised Sharpe ratio of per-bar returns (risk-free rate zero, sample std)."""
    if len(bar_returns) < 2:
        return 0.0
    std = float(np.std(bar_returns, ddof=1))
    if std == 0.0 or not math.isfinite(std):
        return 0.0
    periods = SECONDS_PER_YEAR / bar_seconds
    return float(np.mean(bar_returns) / std * math.sqrt(periods))
