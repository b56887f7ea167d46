"""The backtest engine: positions and prices in, equity curve, trades and statistics out.

Pure numpy and vectorised: no Python loop runs per candle, nor per trade. The
position decided at bar ``t``'s close is held until bar ``t + 1``'s close; a
change of position pays ``fee`` on the traded fraction. ``IncrementalBacktest``
re-runs the vectorised engine as history arrives in chunks, so results appear
while later chunks still load.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from backbone.domain.candle_columns import CandleColumns
from ui.models.backtest.statistics import (
    Statistics,
    cagr,
    drawdown,
    max_drawdown,
    profit_factor,
    sharpe_ratio,
    span_days,
    total_return,
    win_rate,
)
from ui.models.backtest.strategies import Strategy
from ui.models.indicators import FloatArray

IntArray = NDArray[np.int64]
IDLE_PER_BUSY = 4.0


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
class TradeTable:
    """Every round trip of a run as columns (bar indices, times, prices, net returns)."""

    entry_index: IntArray
    exit_index: IntArray  # the bar the position was closed at (the last bar when still open)
    entry_ms: IntArray
    exit_ms: IntArray
    entry_price: FloatArray
    exit_price: FloatArray
    net_return: FloatArray
    open: NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.net_return)

    @property
    def holding_ms(self) -> IntArray:
        return self.exit_ms - self.entry_ms

    def records(self, last: int | None = None) -> list[TradeRecord]:
        """The trades as records, oldest first; only the ``last`` few when given (for a table)."""
        begin = 0 if last is None else max(0, len(self) - last)
        return [
            TradeRecord(int(a), float(b), int(c), float(d), float(e), bool(f))
            for a, b, c, d, e, f in zip(
                self.entry_ms[begin:], self.entry_price[begin:], self.exit_ms[begin:],
                self.exit_price[begin:], self.net_return[begin:], self.open[begin:], strict=True,
            )
        ]


@dataclass(frozen=True, slots=True)
class BacktestResult:
    """Equity of the strategy and of buy-and-hold, each bar's return, trades and statistics."""

    start_ms: IntArray
    equity: FloatArray
    buy_and_hold: FloatArray
    bar_returns: FloatArray
    positions: FloatArray
    trade_table: TradeTable
    statistics: Statistics
    open: FloatArray  # the candles the run saw, for the results chart
    high: FloatArray
    low: FloatArray
    close: FloatArray

    @property
    def trades(self) -> list[TradeRecord]:
        """Every trade as a record, oldest first."""
        return self.trade_table.records()

    @property
    def drawdown(self) -> FloatArray:
        """Each bar's fall from the running peak of equity (0 or negative)."""
        return drawdown(self.equity)


def simulate(close: FloatArray, positions: FloatArray, fee: float) -> tuple[FloatArray, FloatArray]:
    """Each bar's net return and the equity curve of holding ``positions`` (0..1 per bar)."""
    # Computed in place: over a million bars each temporary column is 8 MB, and the
    # engine re-runs this while history streams in.
    bar_returns = np.zeros(len(close))
    moved = bar_returns[1:]
    np.divide(close[1:], close[:-1], out=moved)
    moved -= 1.0
    moved *= positions[:-1]  # the position carried into each bar (flat into the first)
    turnover = np.diff(positions, prepend=0.0)
    np.abs(turnover, out=turnover)
    turnover *= fee
    bar_returns -= turnover
    del turnover
    equity = bar_returns + 1.0
    np.cumprod(equity, out=equity)
    return bar_returns, equity


def trade_table(candles: CandleColumns, positions: FloatArray, fee: float) -> TradeTable:
    """Round trips from the bars where the position switches on and off, all at once."""
    long = positions > 0.5
    edges = np.diff(np.concatenate(([False], long, [False])).astype(np.int8))
    entries = np.flatnonzero(edges == 1)
    leaves = np.flatnonzero(edges == -1)  # first flat bar, or n when still open
    n = len(positions)
    still_open = leaves >= n
    exits = np.where(still_open, n - 1, leaves)
    close, start = candles.close, candles.start_ms
    gross = close[exits] / close[entries]
    # An open trade has paid only its entry fee so far.
    net = gross * (1.0 - fee) ** np.where(still_open, 1, 2) - 1.0
    return TradeTable(
        entries, exits, start[entries], start[exits], close[entries], close[exits], net, still_open
    )


def summarise(
    candles: CandleColumns, equity: FloatArray, positions: FloatArray, trades: TradeTable, bar_seconds: float
) -> Statistics:
    """The headline figures of one run."""
    close, start = candles.close, candles.start_ms
    days = span_days(start, bar_seconds)
    return Statistics(
        total_return=total_return(equity),
        buy_and_hold_return=float(close[-1] / close[0] - 1.0),
        max_drawdown=max_drawdown(equity),
        win_rate=win_rate(trades.net_return),
        sharpe=sharpe_ratio(start, equity),
        trades=len(trades),
        bars=len(close),
        profit_factor=profit_factor(trades.net_return),
        cagr=cagr(float(equity[-1]), days),
        # Share of bars held long: a bar carries the previous bar's position.
        exposure=float(np.count_nonzero(positions[:-1] > 0.5)) / len(positions),
        average_trade=float(np.mean(trades.net_return)) if len(trades) else 0.0,
        average_holding_s=float(np.mean(trades.holding_ms)) / 1000.0 if len(trades) else 0.0,
        days=days,
    )


def run_backtest(
    candles: CandleColumns, positions: FloatArray, *, fee: float, bar_seconds: float
) -> BacktestResult:
    """Simulate holding ``positions`` (0..1 per bar) over ``candles`` with a proportional fee."""
    if not 0.0 <= fee < 1.0:
        raise ValueError(f"fee must be a fraction between 0 and 1, got {fee}")
    n = len(candles.close)
    if len(positions) != n:
        raise ValueError("positions and candles differ in length")
    if n == 0:
        empty = np.empty(0)
        none = np.empty(0, np.int64)
        trades = TradeTable(none, none, none, none, empty, empty, empty, np.empty(0, bool))
        return BacktestResult(
            candles.start_ms, empty, empty, empty, empty, trades, Statistics(0.0, 0.0, 0.0, 0.0, 0.0, 0, 0),
            empty, empty, empty, empty,
        )
    bar_returns, equity = simulate(candles.close, positions, fee)
    trades = trade_table(candles, positions, fee)
    return BacktestResult(
        candles.start_ms, equity, candles.close / candles.close[0], bar_returns, positions, trades,
        summarise(candles, equity, positions, trades, bar_seconds),
        candles.open, candles.high, candles.low, candles.close,
    )


class IncrementalBacktest:
    """Feeds chunks of candles and re-runs the engine on all data loaded so far.

    Re-runs are throttled (at most every ``min_interval_s``, and only when the
    data has grown), so a long history costs a few full passes, not one per chunk.
    As the data grows a pass costs more, so the gap after a pass is also at least
    ``IDLE_PER_BUSY`` times what it took: the engine holds the event loop at most
    about a fifth of the time while history streams in. ``finish()`` always runs
    the final pass over everything. ``clock`` (seconds) is injectable for tests.
    """

    def __init__(
        self,
        strategy: Strategy,
        parameters: Mapping[str, float],
        *,
        fee: float,
        bar_seconds: float,
        min_interval_s: float = 0.25,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.strategy = strategy
        self.parameters = strategy.validate(parameters)
        self.fee = fee
        self.bar_seconds = bar_seconds
        self.min_interval_s = min_interval_s
        # Only the columns a strategy reads are kept: a chunk's other columns are let go
        # as it arrives, so a million-bar run holds 56 bytes a bar, not the full record's.
        self._parts: list[_Kept] = []
        self._series: CandleColumns | None = None  # market and timeframe of the first chunk
        self._last_end_ms: int | None = None
        self._clock = clock
        self._last_run = -math.inf
        self._last_cost = 0.0
        self.result: BacktestResult | None = None

    @property
    def bars(self) -> int:
        return sum(len(part[0]) for part in self._parts)

    def add(self, chunk: CandleColumns) -> BacktestResult | None:
        """Append a chunk (ascending; bars already seen are dropped); maybe re-run."""
        if self._last_end_ms is not None and len(chunk):
            chunk = chunk[int(np.searchsorted(chunk.start_ms, self._last_end_ms, side="right")) :]
        if len(chunk) == 0:
            return None
        if self._series is None:
            self._series = chunk[0:0]
        self._parts.append((chunk.start_ms, chunk.open, chunk.high, chunk.low, chunk.close, chunk.volume, chunk.value))
        self._last_end_ms = int(chunk.start_ms[-1])
        if self._clock() - self._last_run < max(self.min_interval_s, IDLE_PER_BUSY * self._last_cost):
            return None
        return self._run()

    def finish(self) -> BacktestResult:
        """Run over everything loaded (always)."""
        return self._run()

    def candles(self) -> CandleColumns:
        """Every bar added so far as one ``CandleColumns`` (the chunks are joined once)."""
        if self._series is None:
            return CandleColumns.empty("", "1m")
        if len(self._parts) != 1:
            joined = tuple(np.concatenate(column) for column in zip(*self._parts, strict=True))
            self._parts = [joined]
        start_ms, open_, high, low, close, volume, value = self._parts[0]
        return CandleColumns.from_ohlcv(
            start_ms, open_, high, low, close, volume,
            market=self._series.market, timeframe=self._series.timeframe, value=value,
        )

    def _run(self) -> BacktestResult:
        began = self._clock()
        self.result = None  # let the previous pass's columns go before this one allocates
        data = self.candles()
        positions = self.strategy.positions(data, self.parameters)
        self.result = run_backtest(data, positions, fee=self.fee, bar_seconds=self.bar_seconds)
        self._last_run = self._clock()
        self._last_cost = self._last_run - began
        return self.result


_Kept = tuple[NDArray[np.int64], FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]
