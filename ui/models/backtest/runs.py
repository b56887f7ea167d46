"""The runs of a session, kept so two can be compared: parameters and headline figures."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from ui.models.backtest.engine import BacktestResult
from ui.models.backtest.plan import duration_text
from ui.models.backtest.statistics import Statistics

RUN_COLUMNS = (
    "#", "Market", "Timeframe", "Range (KST)", "Strategy", "Parameters", "Return", "CAGR",
    "Max DD", "Sharpe", "Profit factor", "Trades", "State",
)
KEPT_RUNS = 20  # each holds its equity curve; older runs drop out


@dataclass(frozen=True, slots=True)
class BacktestRun:
    """One finished (or cancelled) run: what was asked and what came out."""

    number: int
    market: str
    timeframe: str
    start: datetime
    end: datetime
    strategy: str
    parameters: str
    result: BacktestResult
    partial: bool = False

    @property
    def statistics(self) -> Statistics:
        return self.result.statistics

    def cells(self) -> tuple[str, ...]:
        """The row of the runs table, in ``RUN_COLUMNS`` order."""
        s = self.statistics
        return (
            str(self.number), self.market, self.timeframe,
            f"{self.start:%Y-%m-%d} – {self.end:%Y-%m-%d %H:%M}", self.strategy, self.parameters,
            percent(s.total_return), percent(s.cagr), percent(-s.max_drawdown), f"{s.sharpe:.2f}",
            ratio(s.profit_factor), str(s.trades), "partial" if self.partial else "complete",
        )


class RunList:
    """Runs newest last, at most ``KEPT_RUNS``."""

    def __init__(self, limit: int = KEPT_RUNS) -> None:
        self.limit = limit
        self.runs: list[BacktestRun] = []
        self._count = 0

    def add(
        self, market: str, timeframe: str, start: datetime, end: datetime, strategy: str,
        parameters: str, result: BacktestResult, *, partial: bool = False,
    ) -> BacktestRun:
        self._count += 1
        run = BacktestRun(self._count, market, timeframe, start, end, strategy, parameters, result, partial)
        self.runs.append(run)
        del self.runs[: -self.limit]
        return run

    def find(self, number: int) -> BacktestRun | None:
        return next((r for r in self.runs if r.number == number), None)


def percent(fraction: float) -> str:
    """``+12.34%``; ``∞`` when unbounded."""
    if math.isinf(fraction):
        return "∞"
    return f"{fraction * 100:+.2f}%"


def ratio(value: float) -> str:
    return "∞" if math.isinf(value) else f"{value:.2f}"


def holding_text(seconds: float) -> str:
    """A holding time, e.g. ``42 min`` or ``1 h 5 min``."""
    return duration_text(seconds) if seconds > 0 else "-"
