"""Indicators agree with straightforward loop implementations."""

from __future__ import annotations

import numpy as np
import pytest

from ui.backtest.indicators import ema, exponential_filter, rolling_max, rolling_min, rsi, sma


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
