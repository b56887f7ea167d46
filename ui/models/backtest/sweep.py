"""A parameter sweep: the engine over a grid of two parameters, on candles already loaded.

Each cell is one vectorised run; cells share their indicator columns (an average
of period 20 is computed once for the whole grid). ``cells()`` yields after every
cell so the caller can hand the event loop back between them and draw progress.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from backbone.domain.candle_columns import CandleColumns
from ui.models.backtest.engine import simulate, summarise, trade_table
from ui.models.backtest.statistics import Statistics
from ui.models.backtest.strategies import IndicatorCache, Parameter, Strategy
from ui.models.indicators import FloatArray

METRICS: dict[str, str] = {
    "total_return": "Total return",
    "sharpe": "Sharpe (daily)",
    "cagr": "CAGR",
    "max_drawdown": "Max drawdown",
    "profit_factor": "Profit factor",
}
"""What the heat map can colour by: statistic name -> label."""


@dataclass(frozen=True, slots=True)
class SweepAxis:
    """One swept parameter and the values it takes."""

    name: str
    values: tuple[float, ...]


def axis_values(parameter: Parameter, low: float, high: float, steps: int) -> tuple[float, ...]:
    """``steps`` evenly spaced values from ``low`` to ``high`` (whole numbers for a whole-number
    parameter, duplicates dropped); ValueError naming the parameter and its range."""
    if parameter.choices:
        raise ValueError(f"{parameter.label} is a choice, not a number to sweep")
    if not parameter.minimum <= low <= high <= parameter.maximum:
        raise ValueError(
            f"{parameter.label}: sweep from {low:g} to {high:g} must lie within "
            f"{parameter.minimum:g}..{parameter.maximum:g}, low end first"
        )
    if not 1 <= steps <= 50:
        raise ValueError(f"{parameter.label}: steps must be between 1 and 50, got {steps}")
    values = np.linspace(low, high, steps)
    if parameter.integer:
        values = np.round(values)
    return tuple(float(v) for v in dict.fromkeys(values.tolist()))


@dataclass(frozen=True, slots=True)
class SweepCell:
    """One grid cell: row indexes the y axis, column the x axis; None for an invalid pair
    (say a fast period not shorter than the slow one)."""

    row: int
    column: int
    statistics: Statistics | None


class ParameterSweep:
    """The grid of runs over ``x`` (columns) and ``y`` (rows), the other parameters fixed."""

    def __init__(
        self,
        strategy: Strategy,
        base: Mapping[str, float],
        x: SweepAxis,
        y: SweepAxis,
        candles: CandleColumns,
        *,
        fee: float,
        bar_seconds: float,
    ) -> None:
        if x.name == y.name:
            raise ValueError(f"sweep two different parameters, not {x.name!r} twice")
        for axis in (x, y):
            strategy.parameter(axis.name)
        if len(candles.close) == 0:
            raise ValueError("run a backtest first: the sweep reuses its loaded candles")
        self.strategy = strategy
        self.base = dict(base)
        self.x = x
        self.y = y
        self.candles = candles
        self.fee = fee
        self.bar_seconds = bar_seconds
        self.statistics: list[list[Statistics | None]] = [[None] * len(x.values) for _ in y.values]
        self.done = 0

    @property
    def size(self) -> int:
        return len(self.x.values) * len(self.y.values)

    def cells(self) -> Iterator[SweepCell]:
        """Run every cell, row by row, yielding each as it is done."""
        cache: IndicatorCache = {}
        for row, y_value in enumerate(self.y.values):
            for column, x_value in enumerate(self.x.values):
                stats = self._run({**self.base, self.x.name: x_value, self.y.name: y_value}, cache)
                self.statistics[row][column] = stats
                self.done += 1
                yield SweepCell(row, column, stats)

    def _run(self, values: Mapping[str, float], cache: IndicatorCache) -> Statistics | None:
        try:
            positions = self.strategy.positions(self.candles, values, cache)
        except ValueError:
            return None
        _, equity = simulate(self.candles.close, positions, self.fee)
        trades = trade_table(self.candles, positions, self.fee)
        return summarise(self.candles, equity, positions, trades, self.bar_seconds)

    def grid(self, metric: str = "total_return") -> FloatArray:
        """The metric per cell, rows along y and columns along x (nan where not run or invalid)."""
        if metric not in METRICS:
            raise ValueError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
        return np.array(
            [[math.nan if s is None else float(getattr(s, metric)) for s in row] for row in self.statistics]
        )

    def best(self, metric: str = "total_return") -> tuple[float, float, float] | None:
        """``(x value, y value, metric)`` of the best finite cell (least drawdown for drawdown)."""
        grid = self.grid(metric)
        finite = np.where(np.isfinite(grid), grid, np.nan)
        if np.all(np.isnan(finite)):
            return None
        pick = np.nanargmin if metric == "max_drawdown" else np.nanargmax
        row, column = np.unravel_index(int(pick(finite)), grid.shape)
        return self.x.values[column], self.y.values[row], float(grid[row, column])
