"""The vectorised engine and its statistics agree with a bar-by-bar reference loop."""

from __future__ import annotations

import itertools
import math
import tracemalloc

import numpy as np
import pytest

from backbone import CandleColumns
from ui.models.backtest.engine import IncrementalBacktest, run_backtest, simulate
from ui.models.backtest.strategies import STRATEGIES


def _candles(n: int = 2000, seed: int = 11, bar_ms: int = 60_000) -> CandleColumns:
    rng = np.random.default_rng(seed)
    close = 1000.0 * np.exp(np.cumsum(rng.normal(0, 0.004, n)))
    open_ = np.concatenate(([close[0]], close[:-1]))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.002, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.002, n))
    start = (1_700_000_000_000 + bar_ms * np.arange(n)).astype(np.int64)
    return CandleColumns.from_ohlcv(start, open_, high, low, close, rng.uniform(1, 5, n), market="KRW-BTC")


def reference_backtest(
    close: np.ndarray, positions: np.ndarray, fee: float, bar_s: float, start_ms: np.ndarray
) -> dict:
    """A plain loop: equity, drawdown, trades, win rate, profit factor, exposure, daily Sharpe."""
    equity, peak, worst, held = 1.0, 1.0, 0.0, 0.0
    trades, entry, held_bars, holding = [], None, 0, []
    day_close: dict[int, float] = {}
    for i in range(len(close)):
        r = 0.0 if i == 0 else held * (close[i] / close[i - 1] - 1)
        r -= fee * abs(positions[i] - held)
        held_bars += held > 0.5
        equity *= 1 + r
        day_close[(int(start_ms[i]) + 9 * 3_600_000) // 86_400_000] = equity
        peak = max(peak, equity)
        worst = max(worst, 1 - equity / peak)
        if positions[i] > 0.5 and held <= 0.5:
            entry = i
        elif positions[i] <= 0.5 and held > 0.5:
            trades.append(close[i] / close[entry] * (1 - fee) ** 2 - 1)
            holding.append((start_ms[i] - start_ms[entry]) / 1000)
            entry = None
        held = positions[i]
    if entry is not None:
        trades.append(close[-1] / close[entry] * (1 - fee) - 1)
        holding.append((start_ms[-1] - start_ms[entry]) / 1000)
    closes = [1.0, *day_close.values()]
    daily = [b / a - 1 for a, b in itertools.pairwise(closes)]
    sharpe = 0.0
    if len(daily) >= 2:
        mean = sum(daily) / len(daily)
        std = math.sqrt(sum((d - mean) ** 2 for d in daily) / (len(daily) - 1))
        sharpe = mean / std * math.sqrt(365) if std else 0.0
    gains = sum(t for t in trades if t > 0)
    losses = -sum(t for t in trades if t < 0)
    return {
        "total_return": equity - 1,
        "max_drawdown": worst,
        "win_rate": sum(t > 0 for t in trades) / len(trades) if trades else 0.0,
        "sharpe": sharpe,
        "trades": len(trades),
        "profit_factor": gains / losses if losses else math.inf,
        "exposure": held_bars / len(close),
        "average_trade": sum(trades) / len(trades) if trades else 0.0,
        "average_holding_s": sum(holding) / len(holding) if holding else 0.0,
        "cagr": equity ** (365 / ((start_ms[-1] - start_ms[0]) / 86_400_000 + bar_s / 86400)) - 1,
    }


@pytest.mark.parametrize("key", list(STRATEGIES))
def test_engine_statistics_match_the_reference_loop(key: str) -> None:
    candles = _candles()
    strategy = STRATEGIES[key]
    positions = strategy.positions(candles, strategy.defaults())
    result = run_backtest(candles, positions, fee=0.0005, bar_seconds=60)
    ref = reference_backtest(candles.close, positions, 0.0005, 60, candles.start_ms)
    stats = result.statistics
    assert stats is not None and stats.trades == ref["trades"] > 0
    for name in ("total_return", "max_drawdown", "win_rate", "sharpe", "profit_factor", "exposure",
                 "average_trade", "average_holding_s", "cagr"):
        assert getattr(stats, name) == pytest.approx(ref[name], rel=1e-9, abs=1e-12), name
    assert result.buy_and_hold[-1] == pytest.approx(candles.close[-1] / candles.close[0])


def test_positions_never_look_ahead() -> None:
    candles = _candles(600)
    for strategy in STRATEGIES.values():
        full = strategy.positions(candles, strategy.defaults())
        cut = candles[:400]
        np.testing.assert_array_equal(strategy.positions(cut, strategy.defaults()), full[:400])


def test_incremental_run_over_chunks_equals_one_pass() -> None:
    candles = _candles(3000)
    strategy = STRATEGIES["ma_cross"]
    run = IncrementalBacktest(strategy, {"fast": 5, "slow": 40}, fee=0.001, bar_seconds=60,
                              min_interval_s=0.0)
    for begin in range(0, 3000, 200):
        # overlapping chunk edges must not double-count bars
        part = slice(max(0, begin - 3), begin + 200)
        run.add(candles[part])
    final = run.finish()
    one = run_backtest(candles, strategy.positions(candles, {"fast": 5, "slow": 40}),
                       fee=0.001, bar_seconds=60)
    assert final.statistics == one.statistics


def test_bad_parameters_name_the_field() -> None:
    with pytest.raises(ValueError, match="Fast period must be shorter"):
        STRATEGIES["ma_cross"].validate({"fast": 50, "slow": 20})
    with pytest.raises(ValueError, match="RSI period must be between 2 and 200"):
        STRATEGIES["rsi"].validate({"period": 1})
    with pytest.raises(ValueError, match="fee"):
        run_backtest(_candles(10), np.zeros(10), fee=1.5, bar_seconds=60)


def test_sharpe_is_annualised_from_daily_returns_not_from_bars() -> None:
    candles = _candles(6 * 1440, seed=3)  # six days of minutes
    positions = STRATEGIES["ma_cross"].positions(candles, {"fast": 20, "slow": 120})
    stats = run_backtest(candles, positions, fee=0.0005, bar_seconds=60).statistics
    ref = reference_backtest(candles.close, positions, 0.0005, 60, candles.start_ms)
    assert stats.sharpe == pytest.approx(ref["sharpe"], rel=1e-9)
    one_day = _candles(1000, seed=3)  # inside one KST day: no daily return to judge by
    assert run_backtest(one_day, np.ones(1000), fee=0.0, bar_seconds=60).statistics.sharpe == 0.0


def test_drawdown_curve_and_trade_table_are_columns() -> None:
    candles = _candles(500)
    positions = STRATEGIES["breakout"].positions(candles, {"entry": 20, "exit": 10})
    result = run_backtest(candles, positions, fee=0.001, bar_seconds=60)
    assert result.drawdown.max() == 0.0
    assert -result.drawdown.min() == pytest.approx(result.statistics.max_drawdown)
    table = result.trade_table
    assert len(table) == result.statistics.trades
    np.testing.assert_array_equal(candles.start_ms[table.entry_index], table.entry_ms)
    assert [t.net_return for t in result.trades] == list(table.net_return)


def test_a_costly_pass_spaces_out_the_next_so_the_loop_stays_mostly_free() -> None:
    readings = iter([0.0, 0.0, 2.0, 3.0, 9.9, 10.5, 10.5, 10.6])  # a pass that took 2 s, then chunks
    candles = _candles(1200)

    run = IncrementalBacktest(STRATEGIES["ma_cross"], {"fast": 5, "slow": 40}, fee=0.0, bar_seconds=60,
                              clock=lambda: next(readings))
    parts = [candles[i : i + 300] for i in range(0, 1200, 300)]
    assert run.add(parts[0]) is not None  # t=0: the first pass runs (and takes 2 s)
    assert run.add(parts[1]) is None  # t=3: 1 s after a 2 s pass is too soon
    assert run.add(parts[2]) is None  # t=9.9: still under four times the pass
    assert run.add(parts[3]) is not None  # t=10.5: 8.5 s after the pass, it runs again
    assert run.bars == 1200 and run.result is not None and run.result.statistics.bars == 1200


def test_engine_joins_the_backbones_candle_columns_keeping_series_and_values() -> None:
    candles = _candles(900)
    run = IncrementalBacktest(STRATEGIES["rsi"], {}, fee=0.001, bar_seconds=60, min_interval_s=0.0)
    for begin in range(0, 900, 250):
        run.add(candles[begin : begin + 250])
    joined = run.candles()
    assert isinstance(joined, CandleColumns)
    assert (joined.market, joined.timeframe.code, len(joined)) == ("KRW-BTC", "1m", 900)
    np.testing.assert_array_equal(joined.start_ms, candles.start_ms)
    np.testing.assert_array_equal(joined.close, candles.close)
    np.testing.assert_array_equal(joined.value, candles.value)


def test_simulate_holds_at_most_three_bar_columns_at_once() -> None:
    # A million-bar backtest re-runs this while history streams in: each extra
    # temporary column is 8 MB of peak memory, so the count is the rule.
    candles = _candles(100_000)
    positions = STRATEGIES["ma_cross"].positions(candles, {"fast": 5, "slow": 40})
    tracemalloc.start()
    try:
        simulate(candles.close, positions, 0.001)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    column = candles.close.nbytes
    assert peak < 3.5 * column, f"peak {peak / column:.1f} columns"
