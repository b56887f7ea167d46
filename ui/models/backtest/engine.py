"""The backtest engine: positions and prices in, equity curve, trades and statistics out.

Pure numpy and vectorised. The position decided at bar ``t``'s close is held
until bar ``t + 1``'s close; a change of position pays ``fee`` on the traded
fraction. ``IncrementalBacktest`` re-runs the vectorised engine as history
arrives in chunks, so results appear while later chunks still load.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ui.models.backtest.statistics import (
    Statistics,
    max_drawdown,
    sharpe_ratio,
    total_return,
    win_rate,
)
from ui.models.backtest.strategies import CandleColumns, Strategy
from ui.models.indicators import FloatArray


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """One round trip. ``exit_ms`` is the last bar when still open at the end."""

    entry_ms: int
    entry_price: float
    exit_ms: int
    exit_price: float
    net_return: float  # after both fees
    open: bool = False


@dataclass(frozen=True, slots=True)
class BacktestResult:
    """Equity of the strategy and of buy-and-hold, each bar's return, trades and statistics."""

    start_ms: NDArray[np.int64]
    equity: FloatArray
    buy_and_hold: FloatArray
    bar_returns: FloatArray
    positions: FloatArray
    trades: list[TradeRecord] = field(default_factory=list)
    statistics: Statistics | None = None


def run_backtest(
    candles: CandleColumns, positions: FloatArray, *, fee: float, bar_seconds: float
) -> BacktestResult:
    """Simulate holding ``positions`` (0..1 per bar) over ``candles`` with a proportional fee."""
    if not 0.0 <= fee < 1.0:
        raise ValueError(f"fee must be a fraction between 0 and 1, got {fee}")
    close = candles.close
    n = len(close)
    if len(positions) != n:
        raise ValueError("positions and candles differ in length")
    if n == 0:
        empty = np.empty(0)
        stats = Statistics(0.0, 0.0, 0.0, 0.0, 0.0, 0, 0)
        return BacktestResult(candles.start_ms, empty, empty, empty, empty, [], stats)
    price_return = np.zeros(n)
    price_return[1:] = close[1:] / close[:-1] - 1.0
    held = np.concatenate(([0.0], positions[:-1]))  # position carried into each bar
    turnover = np.abs(np.diff(np.concatenate(([0.0], positions))))
    bar_returns = held * price_return - fee * turnover
    equity = np.cumprod(1.0 + bar_returns)
    buy_and_hold = close / close[0]
    trades = _trades(candles, positions, fee)
    stats = Statistics(
        total_return=total_return(equity),
        buy_and_hold_return=total_return(buy_and_hold),
        max_drawdown=max_drawdown(equity),
        win_rate=win_rate(np.array([t.net_return for t in trades])),
        sharpe=sharpe_ratio(bar_returns, bar_seconds),
        trades=len(trades),
        bars=n,
    )
    return BacktestResult(candles.start_ms, equity, buy_and_hold, bar_returns, positions, trades, stats)


def _trades(candles: CandleColumns, positions: FloatArray, fee: float) -> list[TradeRecord]:
    """Round trips from the bars where the position switches on and off."""
    long = positions > 0.5
    edges = np.diff(np.concatenate(([False], long, [False])).astype(np.int8))
    entries = np.flatnonzero(edges == 1)
    exits = np.flatnonzero(edges == -1)  # first flat bar, or n when still open
    n = len(positions)
    close, start = candles.close, candles.start_ms
    out = []
    for entry, leave in zip(entries, exits, strict=True):
        still_open = leave >= n
        exit_bar = n - 1 if still_open else leave
        gross = close[exit_bar] / close[entry]
        net = gross * (1.0 - fee) * (1.0 - fee) - 1.0 if not still_open else gross * (1.0 - fee) - 1.0
        out.append(
            TradeRecord(
                int(start[entry]), float(close[entry]), int(start[exit_bar]),
                float(close[exit_bar]), float(net), still_open,
            )
        )
    return out


class IncrementalBacktest:
    """Feeds chunks of candles and re-runs the engine on all data loaded so far.

    Re-runs are throttled (at most every ``min_interval_s``, and only when the
    data has grown), so a long history costs a few full passes, not one per chunk.
    ``finish()`` always runs the final pass over everything.
    """

    def __init__(
        self,
        strategy: Strategy,
        parameters: Mapping[str, float],
        *,
        fee: float,
        bar_seconds: float,
        min_interval_s: float = 0.25,
    ) -> None:
        self.strategy = strategy
        self.parameters = strategy.validate(parameters)
        self.fee = fee
        self.bar_seconds = bar_seconds
        self.min_interval_s = min_interval_s
        self._parts: list[CandleColumns] = []
        self._last_end_ms: int | None = None
        self._last_run = 0.0
        self._bars_at_last_run = 0
        self.result: BacktestResult | None = None

    @property
    def bars(self) -> int:
        return sum(len(p) for p in self._parts)

    def add(self, chunk: CandleColumns) -> BacktestResult | None:
        """Append a chunk (ascending; bars already seen are dropped); maybe re-run."""
        if self._last_end_ms is not None and len(chunk):
            keep = chunk.start_ms > self._last_end_ms
            if not keep.all():
                chunk = CandleColumns(*(getattr(chunk, f)[keep] for f in _COLUMNS))
        if len(chunk) == 0:
            return None
        self._parts.append(chunk)
        self._last_end_ms = int(chunk.start_ms[-1])
        if time.monotonic() - self._last_run < self.min_interval_s:
            return None
        return self._run()

    def finish(self) -> BacktestResult:
        """Run over everything loaded (always)."""
        return self._run()

    def candles(self) -> CandleColumns:
        data = CandleColumns.concatenate(self._parts)
        self._parts = [data] if len(data) else []
        return data

    def _run(self) -> BacktestResult:
        data = self.candles()
        positions = self.strategy.positions(data, self.parameters)
        self.result = run_backtest(data, positions, fee=self.fee, bar_seconds=self.bar_seconds)
        self._last_run = time.monotonic()
        self._bars_at_last_run = len(data)
        return self.result


_COLUMNS = ("start_ms", "open", "high", "low", "close", "volume")
