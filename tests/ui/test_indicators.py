"""Indicators agree with straightforward loop implementations."""

from __future__ import annotations

import numpy as np
import pytest

from ui.models.indicators import (
    bollinger,
    ema,
    exponential_filter,
    macd,
    rolling_max,
    rolling_min,
    rolling_std,
    rsi,
    sma,
)


def _prices(n: int = 3000, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))


def _ref_sma(x: np.ndarray, n: int) -> np.ndarray:
    return np.array([np.nan if i < n - 1 else sum(x[i - n + 1 : i + 1]) / n for i in range(len(x))])


def _ref_ema(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(x), np.nan)
    if len(x) < n:
        return out
    out[n - 1] = sum(x[:n]) / n
    a = 2 / (n + 1)
    for i in range(n, len(x)):
        out[i] = a * x[i] + (1 - a) * out[i - 1]
    return out


def _ref_rsi(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(x), np.nan)
    gains = [max(x[i] - x[i - 1], 0.0) for i in range(1, len(x))]
    losses = [max(x[i - 1] - x[i], 0.0) for i in range(1, len(x))]
    g, lo = sum(gains[:n]) / n, sum(losses[:n]) / n
    for i in range(n, len(x)):
        if i > n:
            g = (g * (n - 1) + gains[i - 1]) / n
            lo = (lo * (n - 1) + losses[i - 1]) / n
        out[i] = 100.0 if lo == 0 else 100 - 100 / (1 + g / lo)
    return out


@pytest.mark.parametrize("period", [1, 5, 20, 200])
def test_sma_matches_a_loop(period: int) -> None:
    x = _prices()
    np.testing.assert_allclose(sma(x, period), _ref_sma(x, period), rtol=1e-10, equal_nan=True)


@pytest.mark.parametrize("period", [2, 9, 50, 300])
def test_ema_matches_the_recursive_definition(period: int) -> None:
    x = _prices(10_000)
    np.testing.assert_allclose(ema(x, period), _ref_ema(x, period), rtol=1e-9, equal_nan=True)


def test_exponential_filter_crosses_block_boundaries_exactly() -> None:
    x = _prices(20_000)
    alpha = 0.5  # short blocks: many boundaries
    ref = np.empty_like(x)
    prev = 7.0
    for i, v in enumerate(x):
        prev = (1 - alpha) * prev + alpha * v
        ref[i] = prev
    np.testing.assert_allclose(exponential_filter(x, alpha, 7.0), ref, rtol=1e-10)


@pytest.mark.parametrize("period", [2, 14, 30])
def test_rsi_matches_wilders_loop(period: int) -> None:
    x = _prices(4000)
    np.testing.assert_allclose(rsi(x, period), _ref_rsi(x, period), rtol=1e-8, equal_nan=True)


def test_rsi_of_a_rising_series_is_100_and_flat_is_50() -> None:
    assert rsi(np.arange(1.0, 40.0), 14)[-1] == 100.0
    assert rsi(np.full(40, 5.0), 14)[-1] == 50.0


def test_rolling_extremes_match_slices() -> None:
    x = _prices(500)
    hi, lo = rolling_max(x, 20), rolling_min(x, 20)
    for i in range(19, 500):
        assert hi[i] == x[i - 19 : i + 1].max()
        assert lo[i] == x[i - 19 : i + 1].min()
    assert np.isnan(hi[:19]).all()


def test_short_input_and_bad_period() -> None:
    assert np.isnan(sma(np.ones(3), 5)).all()
    assert np.isnan(rsi(np.ones(3), 5)).all()
    with pytest.raises(ValueError, match="period"):
        sma(np.ones(3), 0)


@pytest.mark.parametrize("period", [2, 20, 50])
def test_rolling_std_matches_slices_even_on_large_prices(period: int) -> None:
    x = 1e8 + _prices(2000) * 1000  # KRW-BTC-like magnitudes, where sums of squares cancel
    ref = np.array([np.nan if i < period - 1 else np.std(x[i - period + 1 : i + 1]) for i in range(len(x))])
    # within a billionth of the price level, where a sum-of-squares formula is off by thousands
    np.testing.assert_allclose(rolling_std(x, period), ref, rtol=1e-7, atol=0.1, equal_nan=True)


def test_bollinger_bands_sit_width_deviations_around_the_sma() -> None:
    x = _prices(300)
    bands = bollinger(x, 20, 2.5)
    np.testing.assert_allclose(bands.middle, sma(x, 20), equal_nan=True)
    np.testing.assert_allclose(bands.upper - bands.middle, 2.5 * rolling_std(x, 20), equal_nan=True)
    np.testing.assert_allclose(bands.middle - bands.lower, 2.5 * rolling_std(x, 20), equal_nan=True)
    assert np.isnan(bands.upper[18]) and not np.isnan(bands.upper[19])


def test_macd_is_fast_minus_slow_with_a_signal_ema_of_it() -> None:
    x = _prices(1000)
    result = macd(x, 12, 26, 9)
    np.testing.assert_allclose(result.line, ema(x, 12) - ema(x, 26), equal_nan=True)
    expected_signal = np.full(len(x), np.nan)
    expected_signal[25:] = _ref_ema(result.line[25:], 9)
    np.testing.assert_allclose(result.signal, expected_signal, rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(result.histogram, result.line - result.signal, equal_nan=True)
    assert np.isnan(result.signal[32]) and not np.isnan(result.signal[33])


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda x: macd(x, 26, 12, 9), "fast period"),
        (lambda x: bollinger(x, 20, 0.0), "width"),
        (lambda x: sma(x, 0), "period"),
    ],
)
def test_bad_indicator_parameters_name_the_field(call: object, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        call(_prices(50))  # type: ignore[operator]
