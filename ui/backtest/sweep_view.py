"""The parameter sweep's widgets: two parameter ranges, a metric, a progress bar and a heat map."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtWidgets

from ui.models.backtest.strategies import Parameter, Strategy
from ui.models.backtest.sweep import METRICS, SweepAxis, axis_values
from ui.models.indicators import FloatArray
from ui.widgets import ProgressBar

DEFAULT_STEPS = 10  # 10 x 10: a hundred runs


class AxisEditor(QtWidgets.QWidget):
    """One swept parameter: which, from, to, and how many steps."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.parameter = QtWidgets.QComboBox(self)
        self.low = QtWidgets.QDoubleSpinBox(self)
        self.high = QtWidgets.QDoubleSpinBox(self)
        self.steps = QtWidgets.QSpinBox(self)
        self.steps.setRange(1, 50)
        self.steps.setValue(DEFAULT_STEPS)
        self._parameters: dict[str, Parameter] = {}
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for label, widget in (("", self.parameter), ("from", self.low), ("to", self.high), ("steps", self.steps)):
            if label:
                layout.addWidget(QtWidgets.QLabel(label, self))
            layout.addWidget(widget)
        self.parameter.currentIndexChanged.connect(self._parameter_changed)

    def set_parameters(self, parameters: list[Parameter], index: int) -> None:
        self._parameters = {p.name: p for p in parameters}
        self.parameter.blockSignals(True)
        self.parameter.clear()
        for p in parameters:
            self.parameter.addItem(p.label, p.name)
        self.parameter.blockSignals(False)
        self.parameter.setCurrentIndex(min(index, len(parameters) - 1))
        self._parameter_changed()

    def set_range(self, low: float, high: float, steps: int) -> None:
        self.low.setValue(low)
        self.high.setValue(high)
        self.steps.setValue(steps)

    def axis(self) -> SweepAxis:
        """The chosen values; ValueError naming the parameter and its range."""
        parameter = self._parameters[self.parameter.currentData()]
        return SweepAxis(parameter.name, axis_values(parameter, self.low.value(), self.high.value(), self.steps.value()))

    def _parameter_changed(self) -> None:
        parameter = self._parameters.get(self.parameter.currentData())
        if parameter is None:
            return
        for box in (self.low, self.high):
            box.setDecimals(0 if parameter.integer else 2)
            box.setRange(parameter.minimum, parameter.maximum)
        self.low.setValue(max(parameter.minimum, parameter.default / 2))
        self.high.setValue(min(parameter.maximum, parameter.default * 2))


class SweepView(QtWidgets.QWidget):
    """Controls, progress and the heat map of a sweep; the panel runs it."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.x_axis = AxisEditor(self)
        self.y_axis = AxisEditor(self)
        self.metric = QtWidgets.QComboBox(self)
        for key, label in METRICS.items():
            self.metric.addItem(label, key)
        self.run_button = QtWidgets.QPushButton("Run sweep", self)
        self.run_button.setObjectName("sweepButton")
        self.progress = ProgressBar(self)
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.best = QtWidgets.QLabel("Run a backtest, then sweep two of its parameters over its candles.", self)
        self.best.setWordWrap(True)
        self.plot = pg.PlotWidget(self)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.colour_bar = pg.ColorBarItem(colorMap=pg.colormap.get("viridis"), interactive=False, width=12)
        self.colour_bar.setImageItem(self.image, insert_in=self.plot.getPlotItem())

        form = QtWidgets.QFormLayout()
        form.addRow("Columns (x)", self.x_axis)
        form.addRow("Rows (y)", self.y_axis)
        form.addRow("Colour by", self.metric)
        controls = QtWidgets.QHBoxLayout()
        controls.addWidget(self.run_button)
        controls.addWidget(self.progress, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(controls)
        layout.addWidget(self.best)
        layout.addWidget(self.plot, 1)

    def set_strategy(self, strategy: Strategy) -> None:
        """Offer the strategy's numeric parameters; the first two are swept by default."""
        numeric = [p for p in strategy.parameters if not p.choices]
        self.x_axis.set_parameters(numeric, 0)
        self.y_axis.set_parameters(numeric, 1)
        self.run_button.setEnabled(len(numeric) >= 2)

    def axes(self) -> tuple[SweepAxis, SweepAxis]:
        return self.x_axis.axis(), self.y_axis.axis()

    def show_grid(self, grid: FloatArray, x: SweepAxis, y: SweepAxis, label: str) -> None:
        """Draw the grid (rows along y), one cell per parameter pair, labelled with the values."""
        finite = grid[np.isfinite(grid)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if high <= low:
            high = low + 1e-9
        self.image.setImage(grid, levels=(low, high), autoLevels=False)
        self.image.setRect(0, 0, len(x.values), len(y.values))
        self.colour_bar.setLevels((low, high))
        self.plot.getAxis("bottom").setTicks([[(i + 0.5, f"{v:g}") for i, v in enumerate(x.values)]])
        self.plot.getAxis("left").setTicks([[(i + 0.5, f"{v:g}") for i, v in enumerate(y.values)]])
        self.plot.setLabel("bottom", x.name)
        self.plot.setLabel("left", y.name)
        self.plot.setTitle(label)
        self.plot.setRange(xRange=(0, len(x.values)), yRange=(0, len(y.values)), padding=0)

    def set_best(self, text: str) -> None:
        self.best.setText(text)


def metric_text(metric: str, value: float) -> str:
    """A metric as the stats row shows it."""
    if math.isinf(value):
        return "∞"
    if metric in ("total_return", "cagr", "max_drawdown"):
        return f"{value * 100:+.2f}%"
    return f"{value:.2f}"
