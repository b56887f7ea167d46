"""Backtest runner panel (LOW priority): loads history in chunks and simulates as it arrives.

The panel renders; ``BacktestPresenter`` (ui.presenters.backtest) talks to the
backbone and the models in ui.models.backtest compute. A load of more than
``CONFIRM_PAGES`` pages is sized first and asked about; progress events drive
the bar (``deferred`` shows "waiting for system load"); Cancel keeps what loaded
and labels its statistics partial. Every run joins the Runs list; the Sweep tab
re-runs the strategy over a grid of two parameters on the candles already loaded,
handing the event loop back between grid cells.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import TYPE_CHECKING, Any

from PyQt6 import QtCore, QtWidgets

from ui.backtest.form import BacktestForm
from ui.backtest.results_view import ResultsView
from ui.backtest.sweep_view import SweepView, metric_text
from ui.export import kst_text
from ui.models.backtest.engine import BacktestResult, IncrementalBacktest
from ui.models.backtest.runs import RUN_COLUMNS, BacktestRun, RunList
from ui.models.backtest.settings import BacktestSettings
from ui.models.backtest.strategies import STRATEGIES
from ui.models.backtest.sweep import METRICS, ParameterSweep
from ui.panel import ExportRows
from ui.presenters.backtest import BacktestPresenter
from ui.tasks import TaskSet
from ui.timeframes import timeframe_seconds
from ui.widgets import InlineMessage, ProgressBar

if TYPE_CHECKING:
    from backbone import CandleColumns, MarketDataBackbone

log = logging.getLogger(__name__)

# While history loads, the figures so far are re-run and redrawn at most this often: each
# pass re-runs the whole loaded history and repaints the curves (60+ ms at 100,000 bars on
# a busy machine), and a trader watching a load reads about one update a second.
PARTIAL_EVERY_S = 1.0
SWEEP_SLICE_S = 0.02  # hand the loop back at least this often while a sweep computes


class ConfirmBar(QtWidgets.QFrame):
    """An inline question with two answers (never a modal dialog: the event loop keeps running)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("confirmBar")
        self.text = QtWidgets.QLabel(self)
        self.text.setWordWrap(True)
        self.accept_button = QtWidgets.QPushButton("Load it", self)
        self.reject_button = QtWidgets.QPushButton("Don't load", self)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.accept_button)
        buttons.addWidget(self.reject_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text)
        layout.addLayout(buttons)
        self.hide()

    def ask(self, question: str) -> None:
        self.text.setText(question)
        self.show()


class BacktestPanel(QtWidgets.QWidget):
    """Form, Run/Cancel, progress, and results of a backtest over backbone history."""

    finished = QtCore.pyqtSignal(str)  # "done", "cancelled" or "failed"
    sweep_finished = QtCore.pyqtSignal()

    def __init__(self, backbone: MarketDataBackbone, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backtestPanel")
        self.presenter = BacktestPresenter(backbone)
        self.tasks = TaskSet("backtest", on_error=self._failed)
        self.result: BacktestResult | None = None
        self.candles: CandleColumns | None = None
        self.settings: BacktestSettings | None = None  # of the run whose candles are loaded
        self.runs = RunList()
        self.sweep: ParameterSweep | None = None
        self.state = "idle"  # idle, confirming, running, done, cancelled, failed
        self.last_event: Any = None
        self._pending: BacktestSettings | None = None
        self._engine: IncrementalBacktest | None = None

        self.form = BacktestForm(self)
        self.form.market.invalid.connect(self._show_error)
        self.run_button = QtWidgets.QPushButton("Run", self)
        self.run_button.setObjectName("runButton")
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QtWidgets.QPushButton("Cancel", self)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = ProgressBar(self)
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress_label = QtWidgets.QLabel("Ready", self)
        self.progress_label.setObjectName("progressLabel")
        self.progress_label.setWordWrap(True)
        self.confirm = ConfirmBar(self)
        self.confirm.accept_button.clicked.connect(self.confirm_load)
        self.confirm.reject_button.clicked.connect(self.decline_load)
        self.message = InlineMessage(self)
        self.results = ResultsView(self)
        self.runs_table = QtWidgets.QTableWidget(0, len(RUN_COLUMNS), self)
        self.runs_table.setObjectName("runsTable")
        self.runs_table.setHorizontalHeaderLabels(RUN_COLUMNS)
        self.runs_table.verticalHeader().setVisible(False)
        self.runs_table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.runs_table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.runs_table.itemSelectionChanged.connect(self._runs_selected)
        self.sweep_view = SweepView(self)
        self.sweep_view.run_button.clicked.connect(self.run_sweep)
        self.sweep_view.metric.currentIndexChanged.connect(self._draw_sweep)
        self.form.strategy.currentIndexChanged.connect(self._strategy_changed)
        self._strategy_changed()
        self.results.tabs.addTab(self.runs_table, "Runs")
        self.results.tabs.addTab(self.sweep_view, "Sweep")

        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        left = QtWidgets.QVBoxLayout()
        left.addWidget(self.form)
        left.addLayout(buttons)
        left.addWidget(self.confirm)
        left.addWidget(self.progress)
        left.addWidget(self.progress_label)
        left.addWidget(self.message)
        left.addStretch(1)
        side = QtWidgets.QWidget(self)
        side.setLayout(left)
        side.setMaximumWidth(340)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(side)
        layout.addWidget(self.results, 1)

    # -- lifecycle -----------------------------------------------------------------------

    def export_rows(self) -> ExportRows:
        """Every trade of the last run, for File → Export."""
        header = ["entry_kst", "entry_price", "exit_kst", "exit_price", "net_return", "open"]
        trades = self.result.trades if self.result is not None else []
        rows = [
            [kst_text(t.entry_ms / 1000), t.entry_price, kst_text(t.exit_ms / 1000), t.exit_price, t.net_return, t.open]
            for t in trades
        ]
        return header, rows

    def is_ready(self) -> bool:
        """True once a run has produced results."""
        return self.result is not None

    def start(self) -> None:
        """Load the market list for the search box (call once the loop runs)."""
        self.tasks.start(self._load_markets(), "markets")

    async def stop(self) -> None:
        self.cancel()
        self.tasks.cancel("sweep")
        await self.tasks.wait_cancelled()

    def closeEvent(self, event: Any) -> None:
        self.cancel()
        self.tasks.cancel_all()
        super().closeEvent(event)

    async def _load_markets(self) -> None:
        markets = await self.presenter.markets()
        if markets:
            self.form.market.set_markets(markets)

    # -- run, confirm and cancel -----------------------------------------------------------

    def run(self) -> asyncio.Task[Any] | None:
        """Validate the form and start a run (after asking, when the load is long); a clear
        message and None on bad input or while the question is open."""
        if self.tasks.running("run"):
            self._show_error("A backtest is already running; cancel it first.")
            return None
        try:
            settings = self.form.settings()
        except ValueError as error:
            self._show_error(str(error))
            return None
        plan = self.presenter.plan(settings)
        if plan.needs_confirmation:
            self._pending = settings
            self.confirm.ask(plan.question())
            self._set_state("confirming", f"{settings.market} {settings.timeframe}: waiting for your answer")
            self.run_button.setEnabled(True)
            self.cancel_button.setEnabled(False)
            return None
        return self._start(settings)

    def confirm_load(self) -> asyncio.Task[Any] | None:
        """The user agreed to the long load: start it."""
        settings, self._pending = self._pending, None
        self.confirm.hide()
        return self._start(settings) if settings is not None else None

    def decline_load(self) -> None:
        self._pending = None
        self.confirm.hide()
        self._set_state("idle", "Not loaded: pick a shorter range or a longer timeframe")

    def _start(self, settings: BacktestSettings) -> asyncio.Task[Any]:
        self.confirm.hide()
        self._set_state("running", f"Loading {settings.market} {settings.timeframe}…")
        return self.tasks.start(self.execute(settings), "run")

    def cancel(self) -> None:
        """Stop the running load (what is stored stays); the figures so far stay, marked partial."""
        self.presenter.cancel()
        if self.tasks.cancel("run"):
            self._set_state("cancelled", "Cancelled")

    async def execute(self, settings: BacktestSettings) -> BacktestResult | None:
        """Stream the history, simulating on every completed chunk; the final result or None."""
        self.message.clear_message()
        self.results.clear()
        self.results.set_note(
            "Loading: the figures cover the candles loaded so far; candles and trade markers "
            "are drawn when the load completes."
        )
        self.result, self.candles, self.last_event = None, None, None
        self.progress.setValue(0)
        self._set_state("running", f"Loading {settings.market} {settings.timeframe}…")
        engine = self._engine = IncrementalBacktest(
            settings.strategy, settings.parameters, fee=settings.fee,
            bar_seconds=timeframe_seconds(settings.timeframe), min_interval_s=PARTIAL_EVERY_S,
        )
        try:
            shown_at, show_cost = -math.inf, 0.0
            async for chunk in self.presenter.candles(settings, self._on_progress):
                partial = engine.add(chunk)
                # Drawing grows with the data too: at most a fifth of the time goes to it.
                if partial is not None and time.perf_counter() - shown_at >= 4 * show_cost:
                    began = time.perf_counter()
                    self.results.show_result(partial, final=False, timeframe=settings.timeframe)
                    shown_at = time.perf_counter()
                    show_cost = shown_at - began
                await asyncio.sleep(0)  # let the chart and tables breathe between chunks
            result = await _final_pass(engine) if engine.bars else None
        except asyncio.CancelledError:
            try:
                await self._keep_partial(settings, engine)
            finally:
                # Cancelled from outside the panel (closing, stopping), unless a newer run took over.
                if self._engine is engine and self.state != "cancelled":
                    self._set_state("cancelled", "Cancelled")
            raise
        except Exception as error:  # the backbone raises typed errors for bad input here
            self._failed(error)
            return None
        if result is None:
            self._failed(ValueError(f"No {settings.timeframe} candles for {settings.market} in that date range."))
            return None
        self.result = result
        self.candles = engine.candles()
        self.settings = settings
        self.results.set_note("")
        self.results.show_result(self.result, timeframe=settings.timeframe)
        self._add_run(settings, self.result, partial=False)
        self.progress.setValue(100)
        self._set_state("done", f"Done: {engine.bars:,} candles")
        return self.result

    async def _keep_partial(self, settings: BacktestSettings, engine: IncrementalBacktest) -> None:
        """After a cancel: the run over what loaded, labelled partial, or nothing at all.

        The run joins the Runs list; it is shown only if no newer run has started while
        its figures were computed."""
        if engine.bars == 0:
            if self._engine is engine:
                self.results.clear()
            return
        result = await _final_pass(engine)
        if self._engine is not engine:
            self._add_run(settings, result, partial=True)
            return
        self.result = result
        self.candles = engine.candles()
        self.settings = settings
        last = kst_text(float(self.candles.start_ms[-1]) / 1000)[:16]
        self.results.show_result(self.result, timeframe=settings.timeframe)
        self.results.set_note(
            f"Partial result: cancelled after {engine.bars:,} candles, up to {last} KST. "
            "The figures cover only the loaded part of the range."
        )
        self._add_run(settings, self.result, partial=True)

    # -- progress and state ---------------------------------------------------------------

    def _on_progress(self, event: Any) -> None:
        self.last_event = event
        if getattr(event, "deferred", False):
            waited = float(getattr(event, "deferred_ms", 0.0) or 0.0) / 1000.0
            reason = getattr(event, "message", "") or "higher-priority work first"
            reason = reason.removeprefix("waiting for system load: ")
            self.progress_label.setText(f"Waiting for system load ({waited:.0f} s): {reason}")
            return
        self.progress.setValue(int(event.percent))
        eta = getattr(event, "eta_s", None)
        left = f" · about {eta:.0f} s left" if eta is not None and not event.done else ""
        self.progress_label.setText(
            f"Pages {event.pages_done}/{event.pages_total} · {event.candles_done:,} candles{left}"
        )

    def _set_state(self, state: str, text: str) -> None:
        self.state = state
        running = state == "running"
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.progress_label.setText(text)
        if state in ("done", "cancelled", "failed"):
            self.finished.emit(state)

    def _show_error(self, text: str) -> None:
        self.message.show_error(text)

    def _failed(self, error: BaseException) -> None:
        field = getattr(error, "field", None)
        prefix = f"{field}: " if field else ""
        self._show_error(f"{prefix}{error}")
        self.progress.setValue(0)
        self.results.clear()
        self.result = None
        self._set_state("failed", "Failed")

    # -- runs -----------------------------------------------------------------------------

    def _add_run(self, settings: BacktestSettings, result: BacktestResult, *, partial: bool) -> None:
        run = self.runs.add(
            settings.market, settings.timeframe, settings.start, settings.end, settings.strategy.name,
            settings.strategy.describe(settings.parameters), result, partial=partial,
        )
        self.runs_table.setRowCount(0)
        for row, kept in enumerate(reversed(self.runs.runs)):  # newest on top
            self.runs_table.insertRow(row)
            for column, text in enumerate(kept.cells()):
                self.runs_table.setItem(row, column, QtWidgets.QTableWidgetItem(text))
        self.runs_table.resizeColumnsToContents()
        log.info("run #%d kept: %s", run.number, run.cells())

    def selected_runs(self) -> list[BacktestRun]:
        """The runs selected in the Runs tab, in table order."""
        rows = sorted({index.row() for index in self.runs_table.selectedIndexes()})
        found = (self.runs.find(int(self.runs_table.item(row, 0).text())) for row in rows)
        return [run for run in found if run is not None]

    def _runs_selected(self) -> None:
        """One run selected: show it. Two: show the first, the second's equity dashed beside it."""
        chosen = self.selected_runs()
        if not chosen:
            return
        first = chosen[0]
        self.results.show_result(first.result, timeframe=first.timeframe)
        self.results.set_note("Partial result (cancelled run)" if first.partial else "")
        other = chosen[1] if len(chosen) > 1 else None
        self.results.compare_with(other.result if other else None, f"run #{other.number}" if other else "")

    # -- sweep ----------------------------------------------------------------------------

    def _strategy_changed(self) -> None:
        self.sweep_view.set_strategy(STRATEGIES[self.form.strategy.currentData()])

    def run_sweep(self) -> asyncio.Task[Any] | None:
        """Sweep two parameters over the loaded candles; a clear message and None otherwise."""
        if self.candles is None or self.settings is None or len(self.candles) == 0:
            self._show_error("Run a backtest first: the sweep reuses the candles it loaded.")
            return None
        if self.tasks.running("sweep"):
            self._show_error("A sweep is already running.")
            return None
        strategy = STRATEGIES[self.form.strategy.currentData()]
        try:
            x, y = self.sweep_view.axes()
            base = {**strategy.defaults(), **(self.settings.parameters if strategy is self.settings.strategy else {})}
            self.sweep = ParameterSweep(
                strategy, base, x, y, self.candles, fee=self.settings.fee,
                bar_seconds=timeframe_seconds(self.settings.timeframe),
            )
        except ValueError as error:
            self._show_error(str(error))
            return None
        self.message.clear_message()
        return self.tasks.start(self._sweep(self.sweep), "sweep")

    async def _sweep(self, sweep: ParameterSweep) -> None:
        view = self.sweep_view
        view.run_button.setEnabled(False)
        view.progress.setValue(0)
        try:
            sliced = time.perf_counter()
            for _ in sweep.cells():
                if time.perf_counter() - sliced >= SWEEP_SLICE_S:
                    view.progress.setValue(int(100 * sweep.done / sweep.size))
                    self._draw_sweep()
                    await asyncio.sleep(0)  # the UI stays responsive between grid cells
                    sliced = time.perf_counter()
            view.progress.setValue(100)
            self._draw_sweep()
        finally:
            view.run_button.setEnabled(True)
        self.sweep_finished.emit()

    def _draw_sweep(self) -> None:
        sweep = self.sweep
        if sweep is None:
            return
        metric = self.sweep_view.metric.currentData()
        self.sweep_view.show_grid(sweep.grid(metric), sweep.x, sweep.y, METRICS[metric])
        best = sweep.best(metric)
        if best is None:
            self.sweep_view.set_best("No valid parameter pair yet.")
            return
        x_value, y_value, value = best
        self.sweep_view.set_best(
            f"Best {METRICS[metric].lower()} {metric_text(metric, value)} at {sweep.x.name} {x_value:g}, "
            f"{sweep.y.name} {y_value:g} ({sweep.done} of {sweep.size} pairs)"
        )


async def _final_pass(engine: IncrementalBacktest) -> BacktestResult:
    """The run over everything loaded, computed in a worker thread: over a million bars it
    is a few hundred ms of numpy the window must not freeze for. The stream has ended, so
    nothing is added to the engine meanwhile."""
    return await asyncio.to_thread(engine.finish)
