"""What a trader sees of a backtest: a long load asks first, a cancelled run says it is partial,
a failed run leaves nothing stale, and the results are readable: candles with entry and exit
markers on one time axis with equity and drawdown, full-width plots, whole trade times, the
runs list for comparing, and a parameter sweep that keeps the UI responsive."""

from __future__ import annotations

import asyncio
import re
import threading
from typing import Any

import numpy as np
import pytest
from PyQt6 import QtCore, QtGui, QtWidgets

from backbone import MarketDataBackbone
from backbone.sim import ExchangeSimulator
from tests.ui.conftest import app_window, wait_until
from tests.ui.test_backtest_engine import _candles
from ui.backtest.panel import BacktestPanel
from ui.backtest.results_view import ResultsView
from ui.models.backtest import engine as engine_module
from ui.models.backtest.engine import run_backtest
from ui.models.backtest.strategies import STRATEGIES
from ui.models.backtest.trade_rows import TradeRows
from ui.theme import apply_theme
from ui.timeframes import timeframe_seconds


def _panel(qtbot: Any, backbone: MarketDataBackbone) -> BacktestPanel:
    panel = BacktestPanel(backbone)
    qtbot.addWidget(panel)
    panel.resize(1400, 860)
    panel.show()
    return panel


def _form(panel: BacktestPanel, timeframe: str, days: int, *, fast: int = 6, slow: int = 24) -> None:
    form = panel.form
    form.market.setText("KRW-BTC")
    form.timeframe.setCurrentText(timeframe)
    today = QtCore.QDate.currentDate()
    form.start_date.setDate(today.addDays(-days))
    form.end_date.setDate(today)
    form.select_strategy("ma_cross")
    form.parameter_boxes["ma_cross"]["fast"].setValue(fast)
    form.parameter_boxes["ma_cross"]["slow"].setValue(slow)


async def _run(panel: BacktestPanel) -> None:
    task = panel.run()
    assert task is not None
    await task
    assert panel.state == "done", panel.message.text()


async def test_a_load_of_thousands_of_pages_says_how_many_and_how_long_and_asks_first(
    qtbot: Any, backbone: MarketDataBackbone, simulator: ExchangeSimulator
) -> None:
    panel = _panel(qtbot, backbone)
    _form(panel, "1m", 900)
    calls = simulator.stats.calls["candle"]
    assert panel.run() is None
    question = panel.confirm.text.text()
    assert panel.confirm.isVisible() and panel.state == "confirming"
    assert "pages of 200 candles" in question and "about" in question and "Load it?" in question
    pages = int(question.split("up to ")[1].split(" pages")[0].replace(",", ""))
    assert pages >= 900 * 1440 // 200
    panel.decline_load()
    assert not panel.confirm.isVisible() and panel.state == "idle"
    assert simulator.stats.calls["candle"] == calls  # nothing was fetched while asking

    assert panel.run() is None
    task = panel.confirm_load()
    assert task is not None and panel.state == "running"
    await wait_until(lambda: panel.last_event is not None and panel.last_event.pages_done >= 1)
    panel.cancel()
    await wait_until(task.done)


async def _cancel_once_loading(panel: BacktestPanel) -> asyncio.Task[Any]:
    """Start a 60-day 1m run, cancel it once 600 bars have loaded; the run's task."""
    _form(panel, "1m", 60)
    task = panel.run()
    assert task is not None
    await wait_until(lambda: panel._engine is not None and panel._engine.bars >= 600)
    panel.cancel()
    return task


async def test_after_a_cancel_the_statistics_say_they_are_partial(
    qtbot: Any, backbone: MarketDataBackbone
) -> None:
    panel = _panel(qtbot, backbone)
    task = await _cancel_once_loading(panel)
    await wait_until(task.done)
    assert panel.state == "cancelled"
    assert panel.results.note.isVisible()
    assert panel.results.note.text().startswith("Partial result: cancelled after")
    assert panel.results.stat_labels["Bars"].text() == f"{panel.result.statistics.bars:,}"
    assert panel.runs_table.rowCount() == 1
    assert panel.runs_table.item(0, panel.runs_table.columnCount() - 1).text() == "partial"


async def test_a_run_with_no_candles_resets_the_bar_and_clears_the_old_plot(
    qtbot: Any, backbone: MarketDataBackbone
) -> None:
    panel = _panel(qtbot, backbone)
    _form(panel, "1h", 3)
    await _run(panel)
    assert panel.progress.value() == 100 and len(panel.results.equity_curve.xData) > 0
    panel.form.timeframe.setCurrentText("1d")
    panel.form.start_date.setDate(QtCore.QDate(2012, 1, 1))  # years before the exchange opened
    panel.form.end_date.setDate(QtCore.QDate(2012, 1, 20))
    task = panel.run()
    assert task is not None
    assert await task is None
    assert panel.state == "failed" and "No 1d candles" in panel.message.text()
    assert panel.progress.value() == 0
    assert panel.results.equity_curve.xData is None or len(panel.results.equity_curve.xData) == 0
    assert len(panel.results.candles.series) == 0
    assert panel.results.stat_labels["Total return"].text() == "-"


async def test_results_show_candles_with_trade_markers_over_equity_and_drawdown(
    qtbot: Any, backbone: MarketDataBackbone
) -> None:
    panel = _panel(qtbot, backbone)
    _form(panel, "5m", 2)
    await _run(panel)
    result, view = panel.result, panel.results
    assert result is not None
    table = result.trade_table
    assert len(table) > 2
    half = timeframe_seconds("5m") / 2
    entries = view.entry_markers.getData()
    np.testing.assert_allclose(entries[0], table.entry_ms / 1000 + half)
    np.testing.assert_allclose(entries[1], table.entry_price)
    assert len(view.exit_markers.getData()[0]) == int((~table.open).sum())
    assert len(view.candles.series) == result.statistics.bars
    assert view.drawdown_curve.yData.min() == pytest.approx(-100 * result.statistics.max_drawdown)
    view.price_plot.setXRange(float(view.candles.series.x[100]), float(view.candles.series.x[200]), padding=0)
    qtbot.wait(20)
    assert view.equity_plot.getViewBox().viewRange()[0] == pytest.approx(view.price_plot.getViewBox().viewRange()[0])
    assert view.drawdown_plot.getViewBox().viewRange()[0] == pytest.approx(view.price_plot.getViewBox().viewRange()[0])
    s = result.statistics
    assert view.stat_labels["Profit factor"].text() == (f"{s.profit_factor:.2f}" if np.isfinite(s.profit_factor) else "∞")
    assert view.stat_labels["Exposure"].text() == f"{s.exposure * 100:.1f}%"
    assert view.stat_labels["CAGR"].text().endswith("%") and view.stat_labels["Avg holding"].text() != "-"


async def test_the_equity_plot_spans_the_width_with_its_legend_off_the_curves_and_times_whole(
    qtbot: Any, backbone: MarketDataBackbone
) -> None:
    panel = _panel(qtbot, backbone)
    _form(panel, "5m", 2)
    await _run(panel)
    view = panel.results
    qtbot.wait(50)
    equity_box = view.equity_plot.getViewBox().sceneBoundingRect()
    assert equity_box.width() >= 0.8 * view.tabs.width()
    assert not view.legend.sceneBoundingRect().intersects(equity_box)
    view.tabs.setCurrentWidget(view.trades)
    qtbot.wait(20)
    metrics = view.trades.fontMetrics()
    for column in (0, 2):
        text = view.trades.text(0, column)
        assert len(text) == len("2026-01-01 09:00")
        assert view.trades.columnWidth(column) >= metrics.horizontalAdvance(text)


async def test_the_moving_average_type_is_a_choice_not_a_number(qtbot: Any, backbone: MarketDataBackbone) -> None:
    panel = _panel(qtbot, backbone)
    panel.form.select_strategy("ma_cross")
    kind = panel.form.parameter_boxes["ma_cross"]["kind"]
    assert isinstance(kind, QtWidgets.QComboBox)
    assert [kind.itemText(i) for i in range(kind.count())] == ["Simple", "Exponential"]
    kind.setCurrentText("Exponential")
    assert panel.form.settings().parameters["kind"] == 1.0


async def test_runs_are_listed_and_two_can_be_compared(qtbot: Any, backbone: MarketDataBackbone) -> None:
    panel = _panel(qtbot, backbone)
    _form(panel, "15m", 3, fast=5, slow=20)
    await _run(panel)
    first = panel.result
    _form(panel, "15m", 3, fast=10, slow=40)
    await _run(panel)
    table = panel.runs_table
    assert table.rowCount() == 2
    assert table.item(0, 0).text() == "2" and "Fast period 10" in table.item(0, 5).text()
    assert table.item(1, 6).text() == f"{first.statistics.total_return * 100:+.2f}%"
    table.selectAll()
    assert [run.number for run in panel.selected_runs()] == [2, 1]
    compare = panel.results.compare_curve
    np.testing.assert_allclose(compare.yData, first.equity)
    assert panel.results.legend.getLabel(compare).text == "run #1"
    table.clearSelection()
    table.selectRow(1)
    assert panel.results.stat_labels["Total return"].text() == f"{first.statistics.total_return * 100:+.2f}%"


async def test_a_parameter_sweep_fills_a_heat_map_with_progress_while_the_ui_keeps_running(
    qtbot: Any, backbone: MarketDataBackbone, simulator: ExchangeSimulator
) -> None:
    panel = _panel(qtbot, backbone)
    _form(panel, "1m", 2)
    await _run(panel)
    calls = simulator.stats.calls["candle"]
    view = panel.sweep_view
    view.x_axis.set_range(4, 40, 10)
    view.y_axis.set_range(50, 140, 10)
    progress: list[int] = []
    view.progress.valueChanged.connect(progress.append)
    ticks = 0

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    beating = asyncio.ensure_future(heartbeat())
    task = panel.run_sweep()
    assert task is not None
    await task
    beating.cancel()
    sweep = panel.sweep
    assert sweep is not None and sweep.done == sweep.size == 100
    assert view.progress.value() == 100
    assert any(0 < value < 100 for value in progress)  # the bar moved while it ran
    assert ticks >= 3  # the loop ran other work between grid cells
    np.testing.assert_array_equal(view.image.image, sweep.grid("total_return"))
    assert view.image.image.shape == (10, 10)
    assert view.best.text().startswith("Best total return")
    assert simulator.stats.calls["candle"] == calls  # the sweep reused the loaded candles


def test_while_history_loads_only_the_curves_are_redrawn(qtbot: Any) -> None:
    candles = _candles(20_000)
    positions = STRATEGIES["ma_cross"].positions(candles, {"fast": 10, "slow": 30})
    result = run_backtest(candles, positions, fee=0.0005, bar_seconds=60)
    view = ResultsView()
    qtbot.addWidget(view)
    view.show_result(result, final=False)
    assert len(view.equity_curve.xData) == 20_000 and len(view.drawdown_curve.xData) == 20_000
    assert len(view.candles.series) == 0 and len(view.entry_markers.getData()[0]) == 0
    assert view.trades.rowCount() == len(result.trade_table)  # every trade, rows made on demand
    view.show_result(result, final=True)
    assert len(view.candles.series) == 20_000
    assert len(view.entry_markers.getData()[0]) == len(result.trade_table)


def test_a_run_with_thousands_of_trades_lists_every_one_newest_first(qtbot: Any) -> None:
    candles = _candles(60_000)
    positions = STRATEGIES["ma_cross"].positions(candles, {"fast": 3, "slow": 6})
    result = run_backtest(candles, positions, fee=0.0005, bar_seconds=60)
    table = result.trade_table
    assert len(table) > 2_000
    view = ResultsView()
    qtbot.addWidget(view)
    view.show_result(result)
    view.tabs.setCurrentWidget(view.trades)
    assert view.trades.rowCount() == len(table)
    newest = f"{table.net_return[-1] * 100:+.2f}%"
    assert view.trades.text(0, 4) == newest
    assert view.trades.text(len(table) - 1, 4) == f"{table.net_return[0] * 100:+.2f}%"


def test_a_new_result_is_in_the_plots_ranges_before_the_first_frame_is_painted(qtbot: Any) -> None:
    """pyqtgraph would apply the new range while painting and paint the window a second
    time; the results view settles its ranges when it is given the data."""
    view = ResultsView()
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    qtbot.waitExposed(view)
    small = _candles(2_000)
    big = _candles(20_000)
    for candles in (small, big):
        positions = STRATEGIES["ma_cross"].positions(candles, {"fast": 10, "slow": 30})
        result = run_backtest(candles, positions, fee=0.0005, bar_seconds=60)
        view.show_result(result, final=False)
        (x_low, x_high), _ = view.equity_plot.getViewBox().viewRange()
        assert x_low <= candles.start_ms[0] / 1000 and x_high >= candles.start_ms[-1] / 1000


async def test_the_price_axis_labels_the_runs_prices_in_the_app(qtbot: Any, backbone: MarketDataBackbone) -> None:
    app = QtWidgets.QApplication.instance()
    assert isinstance(app, QtWidgets.QApplication)
    apply_theme(app, "dark")  # the app's style sheet: 10 pt text in every widget
    try:
        window, _ = app_window(qtbot, backbone)
        panel = window.findChild(BacktestPanel)
        assert panel is not None
        window.tabs.setCurrentWidget(panel)
        await _run(panel)  # the form's defaults, as a new user runs it
        axis = panel.results.price_plot.getAxis("left")
        await wait_until(lambda: any("," in text for text in axis.drawn_labels()))  # KRW-BTC: nine digits
        low, high = panel.results.price_plot.getViewBox().viewRange()[1]
        labels = axis.drawn_labels()
    finally:
        app.setStyleSheet("")
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})+", text) for text in labels), labels
    assert all(low <= float(text.replace(",", "")) <= high for text in labels)


def _shown_view(qtbot: Any, bars: int) -> tuple[ResultsView, Any]:
    view = ResultsView()
    qtbot.addWidget(view)
    view.resize(1100, 700)
    view.show()
    qtbot.waitExposed(view)
    candles = _candles(bars)
    positions = STRATEGIES["ma_cross"].positions(candles, {"fast": 6, "slow": 24})
    return view, run_backtest(candles, positions, fee=0.0005, bar_seconds=60)


def test_the_trade_list_behind_the_chart_tab_reads_no_row_until_it_is_shown(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sizing the columns formats hundreds of cells: a cancelled or finished run's results
    would pay for it in the same loop callback though nobody looks at the list yet."""
    read: list[int] = []
    cells = TradeRows.cells

    def counted(rows: TradeRows, row: int) -> tuple[str, ...]:
        read.append(row)
        return cells(rows, row)

    monkeypatch.setattr(TradeRows, "cells", counted)
    view, result = _shown_view(qtbot, 10_000)
    view.show_result(result, final=False)
    view.show_result(result, final=True)
    QtWidgets.QApplication.processEvents()
    assert read == []
    view.tabs.setCurrentWidget(view.trades)
    assert read  # the columns were sized from the rows as the list came into view
    metrics = view.trades.fontMetrics()
    for column in (0, 2):
        assert view.trades.columnWidth(column) >= metrics.horizontalAdvance(view.trades.text(0, column))


def test_the_results_plots_draw_no_grid_line_too_faint_to_see(qtbot: Any) -> None:
    """pyqtgraph fades a third tick level in at 1-4/255 opacity: dozens of full-width lines
    nobody can see, and most of the cost of painting the results."""
    view, result = _shown_view(qtbot, 10_000)
    view.show_result(result, final=True)
    QtWidgets.QApplication.processEvents()
    for plot in (view.price_plot, view.equity_plot, view.drawdown_plot):
        picture = QtGui.QPicture()
        painter = QtGui.QPainter(picture)
        try:
            _, ticks, _ = plot.getAxis("left").generateDrawSpecs(painter)
        finally:
            painter.end()
        alphas = [pen.color().alpha() for pen, _, _ in ticks]
        assert alphas and min(alphas) >= 10, alphas


def test_the_results_curves_draw_a_low_and_a_high_per_pixel_column_at_most(qtbot: Any) -> None:
    view, result = _shown_view(qtbot, 60_000)
    view.show_result(result, final=True)
    QtWidgets.QApplication.processEvents()
    columns = view.equity_plot.getViewBox().width()
    for curve in (view.equity_curve, view.hold_curve, view.drawdown_curve):
        x, _ = curve.getData()
        assert 0 < len(x) <= 2 * columns + 4, (len(x), columns)


def test_the_results_grid_is_painted_under_a_rectangular_clip(qtbot: Any) -> None:
    """Qt strokes a translucent line (every grid line) pixel by pixel unless the painter
    clips to a rectangle: that was three quarters of painting the results."""
    view, result = _shown_view(qtbot, 10_000)
    view.show_result(result, final=True)
    QtWidgets.QApplication.processEvents()
    clipped: list[bool] = []
    for plot in (view.price_plot, view.equity_plot, view.drawdown_plot):
        for side in ("left", "bottom"):
            axis = plot.getAxis(side)

            def paint(painter: QtGui.QPainter, *args: Any, draw: Any = axis.paint) -> None:
                clipped.append(painter.hasClipping() and painter.clipRegion().rectCount() == 1)
                draw(painter, *args)

            axis.paint = paint
    view.show_result(result, final=False)  # a partial result: new curves, ranges and ticks
    view.chart.viewport().repaint()
    assert len(clipped) == 6 and all(clipped), clipped


def test_clipped_results_plots_look_exactly_like_unclipped_ones(qtbot: Any) -> None:
    """The clip keeps a pixel of slack for lines on a plot's edge and lets axis titles
    longer than a short plot overhang its neighbours, as before."""
    images = []
    for clip in (True, False):
        view, result = _shown_view(qtbot, 20_000)
        view.resize(760, 520)
        view.set_note("Loading: the figures cover the candles loaded so far.")
        for plot in (view.price_plot, view.equity_plot, view.drawdown_plot):
            plot.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape, clip)
        view.show_result(result, final=True)
        QtWidgets.QApplication.processEvents()
        images.append(view.chart.grab().toImage())
    assert images[0] == images[1]


async def test_a_cancelled_runs_figures_are_computed_off_the_event_loop(
    qtbot: Any, backbone: MarketDataBackbone, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over a million loaded bars the final pass is a few hundred ms of numpy: the window
    keeps running while it is computed."""
    on_loop: list[bool] = []  # one entry per pass: did it run on the event loop's thread?
    run = engine_module.run_backtest

    def recorded(*args: Any, **kwargs: Any) -> Any:
        on_loop.append(threading.current_thread() is threading.main_thread())
        return run(*args, **kwargs)

    monkeypatch.setattr(engine_module, "run_backtest", recorded)
    panel = _panel(qtbot, backbone)
    task = await _cancel_once_loading(panel)
    await wait_until(task.done)
    assert panel.results.note.text().startswith("Partial result: cancelled after")
    assert panel.results.stat_labels["Bars"].text() == f"{panel.result.statistics.bars:,}"
    assert on_loop[-1] is False


async def test_a_run_started_right_after_a_cancel_keeps_the_view_while_the_old_figures_finish(
    qtbot: Any, backbone: MarketDataBackbone
) -> None:
    panel = _panel(qtbot, backbone)
    first = await _cancel_once_loading(panel)
    second = panel.run()
    assert second is not None
    await wait_until(first.done)
    await wait_until(lambda: panel.runs_table.rowCount() == 1)  # the cancelled run is listed
    assert panel.state == "running" and not panel.results.note.text().startswith("Partial result")
    second_engine = panel._engine
    await wait_until(lambda: second_engine is not None and second_engine.bars > 0)
    panel.cancel()
    await wait_until(second.done)
    assert panel.state == "cancelled" and panel.runs_table.rowCount() == 2
