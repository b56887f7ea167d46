"""A backtest parameter sweep: 100 parameter pairs over 100,000 one-minute candles.

Runs the panel's own sweep model (``ParameterSweep.cells()``, indicator columns
shared between grid cells) over a 10 x 10 grid of the moving-average crossover
(fast 5..50, slow 60..240) and of the channel breakout, and, for the ratio, the
same grid as 100 independent ``run_backtest`` calls that share nothing. The
longest single cell is the longest the event loop can be held, since the panel
hands the loop back between cells. CPU-bound: figures move with machine load.

    python -m bench sweep [--quick]        (--quick: 25,000 candles)
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

FULL_CANDLES = 100_000
QUICK_CANDLES = 25_000
STEPS = 10


def synthetic_candles(n: int, seed: int = 7) -> Any:
    """``n`` one-minute candles of a random walk, as the backtest's candle columns."""
    from backbone import CandleColumns

    rng = np.random.default_rng(seed)
    close = 50_000_000.0 * np.exp(np.cumsum(rng.normal(0.0, 0.0015, n)))
    open_ = np.concatenate(([close[0]], close[:-1]))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.001, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.001, n))
    start = (1_700_000_000_000 + 60_000 * np.arange(n)).astype(np.int64)
    return CandleColumns.from_ohlcv(start, open_, high, low, close, rng.uniform(0.1, 3.0, n), market="KRW-BTC")


def _sweep(key: str, x: tuple[str, float, float], y: tuple[str, float, float], candles: Any) -> dict[str, Any]:
    from ui.models.backtest.engine import run_backtest
    from ui.models.backtest.strategies import STRATEGIES
    from ui.models.backtest.sweep import ParameterSweep, SweepAxis, axis_values

    strategy = STRATEGIES[key]
    x_axis = SweepAxis(x[0], axis_values(strategy.parameter(x[0]), x[1], x[2], STEPS))
    y_axis = SweepAxis(y[0], axis_values(strategy.parameter(y[0]), y[1], y[2], STEPS))
    sweep = ParameterSweep(strategy, strategy.defaults(), x_axis, y_axis, candles, fee=0.0005, bar_seconds=60)
    cell_s = []
    began = time.perf_counter()
    last = began
    for _ in sweep.cells():
        now = time.perf_counter()
        cell_s.append(now - last)
        last = now
    sweep_s = time.perf_counter() - began

    began = time.perf_counter()
    for y_value in y_axis.values:
        for x_value in x_axis.values:
            values = {**strategy.defaults(), x_axis.name: x_value, y_axis.name: y_value}
            run_backtest(candles, strategy.positions(candles, values), fee=0.0005, bar_seconds=60)
    independent_s = time.perf_counter() - began
    return {
        "pairs": sweep.size,
        "sweep_s": round(sweep_s, 3),
        "per_pair_ms": round(1000 * sweep_s / sweep.size, 2),
        "longest_pair_ms": round(1000 * max(cell_s), 2),
        "independent_runs_s": round(independent_s, 3),
        "shared_vs_independent": round(independent_s / sweep_s, 2),
    }


async def run(quick: bool) -> dict[str, Any]:
    """Figures of both sweeps."""
    n = QUICK_CANDLES if quick else FULL_CANDLES
    candles = synthetic_candles(n)
    return {
        "candles": n,
        "ma_cross": _sweep("ma_cross", ("fast", 5, 50), ("slow", 60, 240), candles),
        "breakout": _sweep("breakout", ("entry", 10, 200), ("exit", 5, 100), candles),
        "note": "CPU-bound; on a shared machine the figures vary with its load",
    }


def print_figures(result: dict[str, Any]) -> None:
    """One line per strategy."""
    print(f"Parameter sweep, {STEPS} x {STEPS} pairs over {result['candles']:,} one-minute candles "
          f"({result['note']}):")
    for key in ("ma_cross", "breakout"):
        f = result[key]
        print(f"  {key:<9} {f['pairs']} pairs in {f['sweep_s']:.2f} s ({f['per_pair_ms']:.1f} ms a pair, "
              f"longest {f['longest_pair_ms']:.1f} ms); as independent runs {f['independent_runs_s']:.2f} s "
              f"(shared indicators x{f['shared_vs_independent']:.2f})")
