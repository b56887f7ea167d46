"""Technical indicators over numpy arrays, vectorised: the one module the chart and the backtest share.

Pure numpy (and pandas' rolling windows): no Qt, no backbone. Every function
takes float arrays and returns arrays of the same length with ``nan`` where the
indicator is not yet defined, so results line up with the candles index for index.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

# A block this long keeps decay**(-i) well inside float64's range while the
# recursive filter is evaluated in closed form.
_MAX_EXPONENT = 600.0


def sma(values: FloatArray, period: int) -> FloatArray:
    """Simple moving average over ``period`` values (``nan`` for the first ``period - 1``)."""
    _check_period(period)
    x = np.asarray(values, dtype=np.float64)
    out = np.full(x.shape, np.nan)
    if len(x) < period:
        return out
    sums = np.cumsum(np.concatenate(([0.0], x)))
    out[period - 1 :] = (sums[period:] - sums[:-period]) / period
    return out


def exponential_filter(values: FloatArray, alpha: float, initial: float) -> FloatArray:
    """``y[t] = (1 - alpha) * y[t-1] + alpha * x[t]`` with ``y[-1] = initial``, vectorised.

    The recursion is solved in closed form block by block (a geometric-weighted
    cumulative sum), so there is no Python loop per element.
    """
    if not 0.0 < alpha <= 1.0:
        raise ValueError(f"alpha must be in (0, 1], got {alpha}")
    x = np.asarray(values, dtype=np.float64)
    out = np.empty_like(x)
    decay = 1.0 - alpha
    if decay == 0.0:
        out[:] = x
        return out
    block = max(1, min(4096, int(_MAX_EXPONENT / -np.log(decay))))
    powers = decay ** np.arange(block + 1, dtype=np.float64)  # decay**0 .. decay**block
    inverse = 1.0 / powers[1:]  # decay**-1 .. decay**-block
    previous = float(initial)
    for begin in range(0, len(x), block):
        chunk = x[begin : begin + block]
        n = len(chunk)
        # y[k] = decay**(k+1) * previous + alpha * sum_{i<=k} decay**(k-i) x[i]
        weighted = np.cumsum(chunk * inverse[:n] * decay)  # x[i] * decay**-i
        out[begin : begin + n] = powers[1 : n + 1] * previous + alpha * weighted * powers[:n]
        previous = out[begin + n - 1]
    return out


def ema(values: FloatArray, period: int) -> FloatArray:
    """Exponential moving average, alpha = 2 / (period + 1), seeded with the SMA of the first
    ``period`` values (the common charting convention); ``nan`` before that."""
    _check_period(period)
    x = np.asarray(values, dtype=np.float64)
    out = np.full(x.shape, np.nan)
    if len(x) < period:
        return out
    seed = float(np.mean(x[:period]))
    out[period - 1] = seed
    out[period:] = exponential_filter(x[period:], 2.0 / (period + 1), seed)
    return out


def rsi(close: FloatArray, period: int = 14) -> FloatArray:
    """Wilder's relative strength index (0..100); ``nan`` for the first ``period`` values."""
    _check_period(period)
    x = np.asarray(close, dtype=np.float64)
    out = np.full(x.shape, np.nan)
    if len(x) <= period:
        return out
    change = np.diff(x)
    gain = np.clip(change, 0.0, None)
    loss = np.clip(-change, 0.0, None)
    alpha = 1.0 / period
    avg_gain = np.empty(len(change) - period + 1)
    avg_loss = np.empty_like(avg_gain)
    avg_gain[0] = gain[:period].mean()
    avg_loss[0] = loss[:period].mean()
    avg_gain[1:] = exponential_filter(gain[period:], alpha, avg_gain[0])
    avg_loss[1:] = exponential_filter(loss[period:], alpha, avg_loss[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        rs = avg_gain / avg_loss
        value = 100.0 - 100.0 / (1.0 + rs)
    # No losses at all is maximal strength; no movement at all is neutral.
    value = np.where(avg_loss == 0.0, np.where(avg_gain == 0.0, 50.0, 100.0), value)
    out[period:] = value
    return out


def rolling_std(values: FloatArray, period: int) -> FloatArray:
    """Population standard deviation of the last ``period`` values (``nan`` for the first ``period - 1``).

    pandas' rolling window keeps the sums numerically stable where a plain
    cumulative-sum-of-squares formula would cancel on large prices.
    """
    import pandas as pd  # only here: importing pandas costs a backtest ~100 MB it never uses otherwise

    _check_period(period)
    x = np.asarray(values, dtype=np.float64)
    out: FloatArray = pd.Series(x).rolling(period).std(ddof=0).to_numpy(dtype=np.float64)
    return out


class Bands(NamedTuple):
    """Bollinger bands: the moving average and the bands ``width`` deviations either side."""

    middle: FloatArray
    upper: FloatArray
    lower: FloatArray


def bollinger(values: FloatArray, period: int = 20, width: float = 2.0) -> Bands:
    """Bollinger bands over ``period`` values, ``width`` population deviations wide."""
    if not width > 0:
        raise ValueError(f"width must be a positive number of deviations, got {width!r}")
    middle = sma(values, period)
    spread = width * rolling_std(values, period)
    return Bands(middle, middle + spread, middle - spread)


class Macd(NamedTuple):
    """MACD line (fast EMA minus slow EMA), its signal EMA and the histogram between them."""

    line: FloatArray
    signal: FloatArray
    histogram: FloatArray


def macd(values: FloatArray, fast: int = 12, slow: int = 26, signal: int = 9) -> Macd:
    """MACD with the usual EMA periods; the signal line starts once ``signal`` MACD values exist."""
    _check_period(fast)
    _check_period(slow)
    _check_period(signal)
    if fast >= slow:
        raise ValueError(f"fast period must be shorter than slow period, got fast={fast} slow={slow}")
    line = ema(values, fast) - ema(values, slow)
    signal_line = np.full(line.shape, np.nan)
    defined = slow - 1  # the first index where both EMAs exist
    if len(line) > defined:
        signal_line[defined:] = ema(line[defined:], signal)
    return Macd(line, signal_line, line - signal_line)


def rolling_max(values: FloatArray, period: int) -> FloatArray:
    """Highest of the last ``period`` values including the current one."""
    return _rolling(values, period, np.max)


def rolling_min(values: FloatArray, period: int) -> FloatArray:
    """Lowest of the last ``period`` values including the current one."""
    return _rolling(values, period, np.min)


def _rolling(values: FloatArray, period: int, reduce: np.ufunc | object) -> FloatArray:
    _check_period(period)
    x = np.asarray(values, dtype=np.float64)
    out = np.full(x.shape, np.nan)
    if len(x) < period:
        return out
    windows = np.lib.stride_tricks.sliding_window_view(x, period)
    out[period - 1 :] = reduce(windows, axis=1)  # type: ignore[operator]
    return out


def _check_period(period: int) -> None:
    if int(period) != period or period < 1:
        raise ValueError(f"period must be a whole number of at least 1, got {period!r}")
