"""The chart's drawing surface: price and volume panes, KST axis, crosshair, x-only navigation.

Knows nothing about the backbone: it shows a ``CandleSeries`` and tells its
owner, through signals, what the mouse is over and when the user has scrolled
to the left edge of the loaded history.
"""

from __future__ import annotations

import pyqtgraph as pg
from PyQt6 import QtCore

from ui.chart.candle_item import CandlestickItem, VolumeItem
from ui.chart.price_axis import PriceAxis
from ui.chart.time_axis import KstTimeAxis
from ui.models.chart.series import CandleSeries

_EDGE_CANDLES = 5  # ask for older history this close to the left edge
_INITIAL_CANDLES = 150  # shown after loading a market


class ChartView(pg.GraphicsLayoutWidget):
    """Candles over volume with a shared, linked x axis in KST."""

    hovered = QtCore.pyqtSignal(dict)  # the candle under the mouse (CandleSeries.candle + "index")
    reached_left_edge = QtCore.pyqtSignal()

    def __init__(self, parent: object | None = None) -> None:
        super().__init__(parent)
        self.series = CandleSeries()
        self.price_plot = self.addPlot(
            row=0, col=0, axisItems={"bottom": KstTimeAxis(), "right": PriceAxis()}
        )
        self.volume_plot = self.addPlot(
            row=1, col=0, axisItems={"bottom": KstTimeAxis(), "right": PriceAxis(compact=True)}
        )
        self.ci.layout.setRowStretchFactor(0, 4)
        self.ci.layout.setRowStretchFactor(1, 1)
        self.volume_plot.setXLink(self.price_plot)
        for plot in (self.price_plot, self.volume_plot):
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.showAxis("right")
            plot.hideAxis("left")
            plot.showGrid(x=True, y=True, alpha=0.15)
            box = plot.getViewBox()
            box.setMouseEnabled(x=True, y=False)  # wheel zooms and drag pans along time only
            box.enableAutoRange(axis=pg.ViewBox.YAxis)
            box.setAutoVisible(y=True)  # y fits the candles in view
        self.price_plot.getAxis("bottom").setStyle(showValues=False)
        self.price_plot.getAxis("bottom").setHeight(0)
        self.candles = CandlestickItem(self.series)
        self.volumes = VolumeItem(self.series)
        self.price_plot.addItem(self.candles)
        self.volume_plot.addItem(self.volumes)
        self._cross_v = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#888", style=QtCore.Qt.PenStyle.DashLine))
        self._cross_h = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen("#888", style=QtCore.Qt.PenStyle.DashLine))
        self._cross_v2 = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#888", style=QtCore.Qt.PenStyle.DashLine))
        for line, plot in ((self._cross_v, self.price_plot), (self._cross_h, self.price_plot),
                           (self._cross_v2, self.volume_plot)):
            line.setVisible(False)
            line.setZValue(10)
            plot.addItem(line, ignoreBounds=True)
        self._mouse_proxy = pg.SignalProxy(self.scene().sigMouseMoved, rateLimit=60, slot=self._mouse_moved)
        self.price_plot.getViewBox().sigXRangeChanged.connect(self._x_range_changed)

    # -- data ------------------------------------------------------------------

    def set_series(self, series: CandleSeries, *, reset_view: bool = True) -> None:
        """Show ``series``; with ``reset_view``, frame its most recent candles."""
        self.series = series
        self.candles.set_series(series)
        self.volumes.set_series(series)
        if reset_view and len(series):
            self.show_last(_INITIAL_CANDLES)

    def data_changed(self) -> None:
        """The series was changed in place (live tick, older history merged)."""
        self.candles.refresh()
        self.volumes.refresh()

    def show_last(self, count: int) -> None:
        """Frame the last ``count`` candles with a little room on the right."""
        s = self.series
        if not len(s):
            return
        first = s.x[max(0, len(s) - count)]
        right = s.x[-1] + s.width * 3
        self.price_plot.getViewBox().setXRange(first, right, padding=0)

    def x_range(self) -> tuple[float, float]:
        low, high = self.price_plot.getViewBox().viewRange()[0]
        return float(low), float(high)

    def set_x_range(self, low: float, high: float) -> None:
        self.price_plot.getViewBox().setXRange(low, high, padding=0)

    # -- interaction ---------------------------------------------------------------

    def _x_range_changed(self, _box: object, x_range: tuple[float, float]) -> None:
        s = self.series
        if len(s) and x_range[0] < s.x[0] + _EDGE_CANDLES * s.width:
            self.reached_left_edge.emit()

    def _mouse_moved(self, event: tuple[QtCore.QPointF]) -> None:
        position = event[0]
        box = self.price_plot.getViewBox()
        inside_price = self.price_plot.sceneBoundingRect().contains(position)
        inside_volume = self.volume_plot.sceneBoundingRect().contains(position)
        if not (inside_price or inside_volume) or not len(self.series):
            for line in (self._cross_v, self._cross_h, self._cross_v2):
                line.setVisible(False)
            return
        point = box.mapSceneToView(position)
        index = self.series.nearest(point.x())
        if index is None:
            return
        candle = self.series.candle(index)
        center = candle["x"] + self.series.width / 2
        self._cross_v.setPos(center)
        self._cross_v2.setPos(center)
        self._cross_h.setPos(point.y())
        self._cross_v.setVisible(True)
        self._cross_v2.setVisible(True)
        self._cross_h.setVisible(inside_price)
        candle["index"] = index
        self.hovered.emit(candle)
