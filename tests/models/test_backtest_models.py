"""The backtest's Qt-free models: the load plan, the runs list and the parameter sweep."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pytest

from backbone.domain.clock import KST
from tests.ui.test_backtest_engine import _candles
from ui.models.backtest.engine import run_backtest
from ui.models.backtest.plan import CONFIRM_PAGES, plan_load
from ui.models.backtest.runs import RunList
from ui.models.backtest.strategies import STRATEGIES
from ui.models.backtest.sweep import ParameterSweep, SweepAxis, axis_values
from ui.models.backtest.trade_rows import RETURN_COLUMN, TradeRows


def test_a_year_of_minutes_is_counted_in_pages_and_time_before_it_starts() -> None:
    start = datetime(2025, 1, 1, tzinfo=KST)
    plan = plan_load(start, start + timedelta(days=365), 60, pages_per_s=10)
    assert plan.candles == 525_600 and plan.pages == 2_628
    assert plan.needs_confirmation
    assert plan.question().startswith("This range needs up to 2,628 pages of 200 candles (525,600 candles)")
    assert "about 4 min at 10 pages a second" in plan.question()
    short = plan_load(start, start + timedelta(days=60), 60, pages_per_s=10)
    assert short.pages == 432 <= CONFIRM_PAGES and not short.needs_confirmation


def test_the_ma_type_is_a_named_choice_and_a_bad_one_is_refused() -> None:
    strategy = STRATEGIES["ma_cross"]
    kind = strategy.parameter("kind")
    assert kind.choices == ("Simple", "Exponential")
    assert strategy.describe({"fast": 5, "slow": 20, "kind": 1}) == "Fast period 5, Slow period 20, Average exponential"
    with pytest.raises(ValueError, match="Average must be one of: Simple, Exponential"):
        strategy.validate({"kind": 0.5})


def test_runs_are_kept_with_their_parameters_and_headline_figures() -> None:
    candles = _candles(3000)
    runs = RunList(limit=2)
    start = datetime(2025, 1, 1, tzinfo=KST)
    for fast in (5, 10, 15):
        params = {"fast": fast, "slow": 40}
        result = run_backtest(candles, STRATEGIES["ma_cross"].positions(candles, params), fee=0.0005, bar_seconds=60)
        runs.add("KRW-BTC", "1m", start, start + timedelta(days=2), "MA cross",
                 STRATEGIES["ma_cross"].describe(params), result, partial=fast == 15)
    assert [r.number for r in runs.runs] == [2, 3]
    cells = runs.runs[-1].cells()
    assert cells[0] == "3" and "Fast period 15" in cells[5] and cells[-1] == "partial"
    assert cells[6] == f"{runs.runs[-1].statistics.total_return * 100:+.2f}%"


def test_a_sweep_over_two_parameters_equals_separate_runs_cell_by_cell() -> None:
    candles = _candles(4000)
    strategy = STRATEGIES["ma_cross"]
    fast = axis_values(strategy.parameter("fast"), 5, 25, 5)
    slow = axis_values(strategy.parameter("slow"), 20, 60, 3)
    assert fast == (5.0, 10.0, 15.0, 20.0, 25.0) and slow == (20.0, 40.0, 60.0)
    sweep = ParameterSweep(strategy, {"kind": 0}, SweepAxis("fast", fast), SweepAxis("slow", slow), candles,
                           fee=0.0005, bar_seconds=60)
    cells = list(sweep.cells())
    assert len(cells) == sweep.size == sweep.done == 15
    grid = sweep.grid("total_return")
    for row, slow_n in enumerate(slow):
        for column, fast_n in enumerate(fast):
            if fast_n >= slow_n:
                assert math.isnan(grid[row, column])  # fast must be shorter: not a valid pair
                continue
            params = {"fast": fast_n, "slow": slow_n}
            alone = run_backtest(candles, strategy.positions(candles, params), fee=0.0005, bar_seconds=60)
            assert grid[row, column] == pytest.approx(alone.statistics.total_return, rel=1e-12)
    best = sweep.best("total_return")
    assert best is not None and best[2] == np.nanmax(grid)


def test_a_sweep_names_what_is_wrong_with_its_axes() -> None:
    strategy = STRATEGIES["ma_cross"]
    with pytest.raises(ValueError, match=r"Fast period: sweep from 1 to 9 must lie within 2\.\.500"):
        axis_values(strategy.parameter("fast"), 1, 9, 3)
    with pytest.raises(ValueError, match="Average is a choice"):
        axis_values(strategy.parameter("kind"), 0, 1, 2)
    with pytest.raises(ValueError, match="not 'fast' twice"):
        ParameterSweep(strategy, {}, SweepAxis("fast", (5,)), SweepAxis("fast", (6,)), _candles(10),
                       fee=0.0, bar_seconds=60)


def test_the_trade_list_reads_newest_first_with_whole_kst_times_and_signed_returns() -> None:
    candles = _candles(5_000)
    positions = STRATEGIES["ma_cross"].positions(candles, {"fast": 5, "slow": 20})
    table = run_backtest(candles, positions, fee=0.0005, bar_seconds=60).trade_table
    rows = TradeRows(table)
    assert len(rows) == len(table) > 10
    newest, oldest = rows.cells(0), rows.cells(len(rows) - 1)
    last = len(table) - 1
    assert newest[0] == datetime.fromtimestamp(table.entry_ms[last] / 1000, KST).strftime("%Y-%m-%d %H:%M")
    assert oldest[0] == datetime.fromtimestamp(table.entry_ms[0] / 1000, KST).strftime("%Y-%m-%d %H:%M")
    assert newest[RETURN_COLUMN] == f"{table.net_return[last] * 100:+.2f}%"
    assert rows.net_return(len(rows) - 1) == table.net_return[0]
    with pytest.raises(IndexError, match="outside"):
        rows.cells(len(rows))
    assert len(TradeRows()) == 0
