"""Backtest runner panel (LOW priority): loads history in chunks and simulates as it arrives.

Calls on the backbone: ``list_markets(priority=HIGH)`` once,
``new_request_id()``, ``stream_candle_data(market, timeframe, start_time=...,
end_time=..., priority=LOW, progress=callback, request_id=id)`` per run and
``cancel(id)`` on Cancel. Progress events (``ProgressEvent``) drive the bar;
``deferred`` shows "waiting for system load".
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from PyQt6 import QtCore, QtWidgets

from backbone import Priority
from ui.backtest.form import BacktestForm, BacktestSettings
from ui.backtest.results_view import ResultsView
from ui.export import kst_text
from ui.models.backtest.engine import BacktestResult, IncrementalBacktest
from ui.models.backtest.strategies import CandleColumns
from ui.panel import ExportRows
from ui.tasks import TaskSet
from ui.timeframes import timeframe_seconds
from ui.widgets import InlineMessage

if TYPE_CHECKING:
    from backbone import MarketDataBackbone

log = logging.getLogger(__name__)
PRIORITY = Priority.LOW


class BacktestPanel(QtWidgets.QWidget):
    """Form, Run/Cancel, progress, and results of a backtest over backbone history."""

    finished = QtCore.pyqtSignal(str)  # "done", "cancelled" or "failed"

    def __init__(self, backbone: MarketDataBackbone, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backtestPanel")
        self.backbone = backbone
        self.tasks = TaskSet("backtest", on_error=self._failed)
        self.request_id: str | None = None
        self.result: BacktestResult | None = None
        self.candles: CandleColumns | None = None
        self.state = "idle"  # idle, running, done, cancelled, failed
        self.last_event: Any = None

        self.form = BacktestForm(self)
        self.form.market.invalid.connect(self._show_error)
        self.run_button = QtWidgets.QPushButton("Run", self)
        self.run_button.setObjectName("runButton")
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QtWidgets.QPushButton("Cancel", self)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QtWidgets.QProgressBar(self)
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress_label = QtWidgets.QLabel("Ready", self)
        self.progress_label.setObjectName("progressLabel")
        self.progress_label.setWordWrap(True)
        self.message = InlineMessage(self)
        self.results = ResultsView(self)

        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        left = QtWidgets.QVBoxLayout()
        left.addWidget(self.form)
        left.addLayout(buttons)
        left.addWidget(self.progress)
        left.addWidget(self.progress_label)
        left.addWidget(self.message)
        left.addStretch(1)
        side = QtWidgets.QWidget(self)
        side.setLayout(left)
        side.setMaximumWidth(380)
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
        await self.tasks.wait_cancelled()

    def closeEvent(self, event: Any) -> None:
        self.cancel()
        self.tasks.cancel_all()
        super().closeEvent(event)

    async def _load_markets(self) -> None:
        response = await self.backbone.list_markets(priority=Priority.HIGH)
        if response.success:
            self.form.market.set_markets(response.data)

    # -- run and cancel ------------------------------------------------------------------

    def run(self) -> asyncio.Task[Any] | None:
        """Validate the form and start a run; a clear message and None on bad input."""
        if self.tasks.running("run"):
            self._show_error("A backtest is already running; cancel it first.")
            return None
        try:
            settings = self.form.settings()
        except ValueError as error:
            self._show_error(str(error))
            return None
        return self.tasks.start(self.execute(settings), "run")

    def cancel(self) -> None:
        """Stop the running load (what is stored stays) and the simulation."""
        if self.request_id is not None:
            self.backbone.cancel(self.request_id)
        if self.tasks.cancel("run"):
            self._set_state("cancelled", "Cancelled")

    async def execute(self, settings: BacktestSettings) -> BacktestResult | None:
        """Stream the history, simulating on every completed chunk; the final result or None."""
        self.message.clear_message()
        self.results.clear()
        self.result, self.candles, self.last_event = None, None, None
        self.progress.setValue(0)
        self._set_state("running", f"Loading {settings.market} {settings.timeframe}…")
        engine = IncrementalBacktest(
            settings.strategy, settings.parameters, fee=settings.fee,
            bar_seconds=timeframe_seconds(settings.timeframe),
        )
        self.request_id = self.backbone.new_request_id()
        try:
            stream = self.backbone.stream_candle_data(
                settings.market, settings.timeframe, start_time=settings.start,
                end_time=settings.end, priority=PRIORITY, progress=self._on_progress,
                request_id=self.request_id,
            )
            async for chunk in stream:
                partial = engine.add(CandleColumns.from_upbit(chunk))
                if partial is not None:
                    self.results.show_result(partial, final=False)
                await asyncio.sleep(0)  # let the chart and tables breathe between chunks
        except asyncio.CancelledError:
            self._set_state("cancelled", "Cancelled")
            raise
        except Exception as error:  # the backbone raises typed errors for bad input here
            self._failed(error)
            return None
        finally:
            self.request_id = None
        if engine.bars == 0:
            self._set_state("failed", "No candles in that range")
            self._show_error(f"No {settings.timeframe} candles for {settings.market} in that date range.")
            return None
        self.result = engine.finish()
        self.candles = engine.candles()
        self.results.show_result(self.result)
        self.progress.setValue(100)
        self._set_state("done", f"Done: {engine.bars:,} candles")
        return self.result

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
        if not running:
            self.progress_label.setText(text)
            self.finished.emit(state)
        else:
            self.progress_label.setText(text)

    def _show_error(self, text: str) -> None:
        self.message.show_error(text)

    def _failed(self, error: BaseException) -> None:
        field = getattr(error, "field", None)
        prefix = f"{field}: " if field else ""
        self._show_error(f"{prefix}{error}")
        self._set_state("failed", "Failed")
