"""System monitor panel: live pyqtgraph plots of the backbone's metrics, and its alerts.

Calls on the backbone: ``metrics_snapshot()`` every ``interval_s`` and
``alerts()`` (an async iterator of ``Alert``).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import pyqtgraph as pg
from PyQt6 import QtCore, QtGui, QtWidgets

from ui.chart.time_axis import KstTimeAxis
from ui.colors import INFO_TEXT, LATENCY_BAD, LATENCY_WARN, SERIES
from ui.models.monitor import (
    PLOTS,
    QUANTILES,
    AlertLog,
    AlertRow,
    SeriesBuffer,
    field,
    kst_clock,
    snapshot_series,
)
from ui.panel import ExportRows
from ui.plots import counts_axis, legend_above
from ui.presenters.monitor import MonitorPresenter
from ui.tasks import TaskSet
from ui.widgets import InlineMessage

if TYPE_CHECKING:
    from backbone import MarketDataBackbone

_ALERT_COLOUR = {"error": LATENCY_BAD, "warning": LATENCY_WARN, "info": INFO_TEXT}
_COLUMNS = 3
HISTORY_POINTS = 600  # ten minutes at one sample a second
_QUANTILE_STYLE = {"p50": QtCore.Qt.PenStyle.DotLine, "p99": QtCore.Qt.PenStyle.SolidLine}


class LivePlot(pg.PlotWidget):
    """A time plot whose curves appear as their names first arrive."""

    def __init__(self, title: str, unit: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent, axisItems={"bottom": KstTimeAxis()})
        self.setTitle(title)
        self.setLabel("left", unit)
        self.setMenuEnabled(False)
        self.hideButtons()
        self.showGrid(x=True, y=True, alpha=0.15)
        self.setMouseEnabled(x=False, y=False)
        self.legend = legend_above(self.getPlotItem(), columns=3)
        counts_axis(self.getPlotItem())
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.buffers: dict[str, SeriesBuffer] = {}
        self._colour_of: dict[str, str] = {}

    def append(self, when: float, values: dict[str, float]) -> None:
        for name, value in values.items():
            if name not in self.curves:
                self._add_curve(name)
            self.buffers[name].append(when, value)
            self.curves[name].setData(*self.buffers[name].columns())

    def points(self, name: str | None = None) -> int:
        """Points held by one curve, or by all curves."""
        if name is not None:
            return len(self.buffers[name]) if name in self.buffers else 0
        return sum(len(b) for b in self.buffers.values())

    def _add_curve(self, name: str) -> None:
        group, _, quantile = name.rpartition(" ")
        if quantile in QUANTILES:  # latency: one colour per path, a line style per quantile
            colour = self._colour_of.setdefault(group, SERIES[len(self._colour_of) % len(SERIES)])
            pen = pg.mkPen(colour, width=1.5, style=_QUANTILE_STYLE[quantile])
        else:
            pen = pg.mkPen(SERIES[len(self.curves) % len(SERIES)], width=1.5)
        self.curves[name] = self.plot([], [], pen=pen, name=name)
        self.buffers[name] = SeriesBuffer(HISTORY_POINTS)


class SystemMonitorPanel(QtWidgets.QWidget):
    """Latency, request rates, cache, rate budget, queues, load and alerts, sampled every second."""

    sampled = QtCore.pyqtSignal()

    def __init__(
        self,
        backbone: MarketDataBackbone,
        parent: QtWidgets.QWidget | None = None,
        *,
        interval_s: float = 1.0,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("systemMonitorPanel")
        self.presenter = MonitorPresenter(backbone)
        self.interval_s = interval_s
        self.tasks = TaskSet("monitor", on_error=lambda e: self.message.show_error(f"Monitor error: {e}"))
        self.samples = 0
        self.alert_log = AlertLog()
        self._alert_items: dict[int, QtWidgets.QListWidgetItem] = {}

        self.plots: dict[str, LivePlot] = {key: LivePlot(title, unit, self) for key, (title, unit) in PLOTS.items()}
        target = pg.InfiniteLine(pos=50, angle=0, pen=pg.mkPen(LATENCY_BAD, style=QtCore.Qt.PenStyle.DashLine))
        self.plots["latency"].addItem(target, ignoreBounds=True)
        self.headline = QtWidgets.QLabel("Waiting for the first sample…", self)
        self.headline.setObjectName("monitorHeadline")
        self.message = InlineMessage(self)
        self.alerts = QtWidgets.QListWidget(self)
        self.alerts.setObjectName("alertsList")
        self.alerts.setWordWrap(True)  # a whole alert, never one cut at the edge

        grid = QtWidgets.QGridLayout()
        for i, plot in enumerate(self.plots.values()):
            grid.addWidget(plot, i // _COLUMNS, i % _COLUMNS)
        alerts_box = QtWidgets.QGroupBox("Alerts", self)
        box_layout = QtWidgets.QVBoxLayout(alerts_box)
        box_layout.addWidget(self.alerts)
        grid.addWidget(alerts_box, len(self.plots) // _COLUMNS, len(self.plots) % _COLUMNS)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.headline)
        layout.addWidget(self.message)
        layout.addLayout(grid, 1)

    def export_rows(self) -> ExportRows | None:
        """Live plots only: nothing to export."""
        return None

    def is_ready(self) -> bool:
        """True once the plots hold a few points."""
        return self.samples >= 3

    def start(self) -> None:
        self.tasks.start(self._sample_forever(), "sample")
        self.tasks.start(self._follow_alerts(), "alerts")

    async def stop(self) -> None:
        await self.tasks.wait_cancelled()

    def closeEvent(self, event: Any) -> None:
        self.tasks.cancel_all()
        super().closeEvent(event)

    def sample_once(self) -> None:
        """Take one snapshot and append it to every plot."""
        snapshot = self.presenter.snapshot()
        self.show_snapshot(snapshot)

    def show_snapshot(self, snapshot: Any) -> None:
        when = float(field(snapshot, "timestamp", time.time()) or time.time())
        for key, values in snapshot_series(snapshot).items():
            if values:
                self.plots[key].append(when, values)
        errors = field(snapshot, "errors_by_code") or {}
        error_text = ", ".join(f"{code} {n}" for code, n in sorted(errors.items())) or "none"
        self.headline.setText(
            f"WebSocket {field(snapshot, 'ws_state', '?')} · upstream calls {field(snapshot, 'upstream_calls', 0)}"
            f" · process {float(field(snapshot, 'process_rss_mb', 0.0) or 0.0):.0f} MB"
            f" · uptime {float(field(snapshot, 'uptime_s', 0.0) or 0.0):.0f} s · errors: {error_text}"
        )
        for alert in field(snapshot, "alerts") or []:
            self.add_alert(alert)
        self.samples += 1
        self.sampled.emit()

    def add_alert(self, alert: Any) -> None:
        """List an alert (newest on top), coloured by its level; a repeat of a listed subject
        updates that row's time and count instead of adding a row."""
        folded = self.alert_log.add(alert)
        if folded is None:
            return
        row, is_new = folded
        item = self._alert_items.get(id(row))
        if item is None or is_new:
            item = QtWidgets.QListWidgetItem()
            self._alert_items[id(row)] = item
        else:
            self.alerts.takeItem(self.alerts.row(item))
        item.setText(row.text(kst_clock))
        item.setForeground(QtGui.QBrush(QtGui.QColor(_ALERT_COLOUR.get(row.level, LATENCY_WARN))))
        self.alerts.insertItem(0, item)
        while self.alerts.count() > self.alert_log.limit:
            self.alerts.takeItem(self.alerts.count() - 1)

    def alert_rows(self) -> list[AlertRow]:
        """The alert subjects listed, newest first."""
        return sorted(self.alert_log.rows.values(), key=lambda r: r.last, reverse=True)

    async def _sample_forever(self) -> None:
        while True:
            self.sample_once()
            await asyncio.sleep(self.interval_s)

    async def _follow_alerts(self) -> None:
        async for alert in self.presenter.alerts():
            self.add_alert(alert)
