"""The chart's drawing surface: price, volume and indicator panes, KST axis, crosshair, x-only navigation.

Knows nothing about the backbone: it draws a ``CandleSeries`` and the indicator
lines it is given, and tells its owner through signals what the mouse is over and
where the view's left edge is (so older history can be loaded). The view's right
edge stops a few candles past the live one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PyQt6 import QtCore

from ui.chart.candle_item import CandlestickItem, VolumeItem
from ui.chart.line_item import IndicatorLine
from ui.chart.price_axis import PriceAxis
from ui.chart.time_axis import KstTimeAxis
from ui.colors import EVEN, FALL, RISE, SERIES
from ui.models.chart import navigation
from ui.models.chart.series import CandleSeries
from ui.models.chart.state import DEFAULT_VISIBLE
from ui.models.chart.studies import IndicatorSpec, Lines

_DASH = QtCore.Qt.PenStyle.DashLine
_DOT = QtCore.Qt.PenStyle.DotLine


class ChartView(pg.GraphicsLayoutWidget):
    """Candles over volume over an optional indicator pane, sharing one x axis in KST."""

    hovered = QtCore.pyqtSignal(int)  # index of the candle under the mouse, -1 when it leaves
    left_edge_moved = QtCore.pyqtSignal(float)  # the view's left edge (x), after every pan or zoom

    def __init__(self, parent: object | None = None) -> None:
        super().__init__(parent)
        self.series = CandleSeries()
        self._last_x: float | None = None  # the live candle's start when last drawn
        self.price_axis = PriceAxis()
        self.price_plot = self.addPlot(row=0, col=0, axisItems={"bottom": KstTimeAxis(), "right": self.price_axis})
        self.volume_plot = self.addPlot(
            row=1, col=0, axisItems={"bottom": KstTimeAxis(), "right": PriceAxis(compact=True)}
        )
        self.lower_plot = self.addPlot(row=2, col=0, axisItems={"bottom": KstTimeAxis(), "right": PriceAxis()})
        self.ci.layout.setRowStretchFactor(0, 5)
        self.ci.layout.setRowStretchFactor(1, 1)
        self.ci.layout.setRowStretchFactor(2, 2)
        self.volume_plot.setXLink(self.price_plot)
        self.lower_plot.setXLink(self.price_plot)
        for plot in (self.price_plot, self.volume_plot, self.lower_plot):
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.showAxis("right")
            plot.hideAxis("left")
            for hidden in ("left", "top"):
                # A hidden axis still follows every range change, and with SI prefixes on it
                # rewrites and lays out its (invisible) label rich text on every frame.
                plot.getAxis(hidden).enableAutoSIPrefix(False)
            plot.showGrid(x=True, y=True, alpha=0.15)
            box = plot.getViewBox()
            box.setMouseEnabled(x=True, y=False)  # wheel zooms and drag pans along time only
            box.enableAutoRange(axis=pg.ViewBox.YAxis)
            box.setAutoVisible(y=True)  # y fits what is in view
        self.price_plot.getAxis("bottom").setStyle(showValues=False)
        self.price_plot.getAxis("bottom").setHeight(0)
        self._show_lower_pane(False)
        self.candles = CandlestickItem(self.series)
        self.volumes = VolumeItem(self.series)
        self.price_plot.addItem(self.candles)
        self.volume_plot.addItem(self.volumes)
        self.last_price_line = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen(EVEN, style=_DOT))
        self.history_start_line = pg.InfiniteLine(
            angle=90, movable=False, pen=pg.mkPen(EVEN, width=2, style=_DASH),
            label="Start of history", labelOpts={"position": 0.92, "color": EVEN, "rotateAxis": (1, 0)},
        )
        self.price_lines: list[pg.InfiniteLine] = []  # drawn by clicking a level in the order book
        for line in (self.last_price_line, self.history_start_line):
            line.setVisible(False)
            self.price_plot.addItem(line, ignoreBounds=True)
        self.overlay_legend = self.price_plot.addLegend(offset=(8, 8), labelTextSize="8pt")
        self.lower_legend = self.lower_plot.addLegend(offset=(8, 4), labelTextSize="8pt")
        self.overlay_curves: dict[str, IndicatorLine] = {}
        self.lower_curves: dict[str, IndicatorLine] = {}
        self.lines: dict[str, NDArray[np.float64]] = {}  # every indicator line, whole, by name
        self._cross = [pg.InfiniteLine(angle=a, movable=False, pen=pg.mkPen("#888", style=_DASH)) for a in (90, 0, 90)]
        for line, plot in zip(self._cross, (self.price_plot, self.price_plot, self.volume_plot), strict=True):
            line.setVisible(False)
            line.setZValue(10)
            plot.addItem(line, ignoreBounds=True)
        self._mouse_proxy = pg.SignalProxy(self.scene().sigMouseMoved, rateLimit=60, slot=self._mouse_moved)
        self.price_plot.getViewBox().sigXRangeChanged.connect(self._x_range_changed)

    # -- data ------------------------------------------------------------------

    def set_series(self, series: CandleSeries, *, visible: int = DEFAULT_VISIBLE) -> None:
        """Show ``series`` from its latest ``visible`` candles."""
        self.series = series
        self.candles.set_series(series)
        self.volumes.set_series(series)
        self.show_history_start(None)
        self._last_x = float(series.x[-1]) if len(series) else None
        self._update_limits()
        self._update_last_price()
        self.show_last(visible)

    def data_changed(self) -> None:
        """The series was changed in place (live trade, older history merged). A view that
        showed the live candle keeps showing it when a new one opens."""
        self.candles.refresh()
        self.volumes.refresh()
        self._update_limits()
        self._update_last_price()
        self._follow_live()

    def _follow_live(self) -> None:
        s = self.series
        last = float(s.x[-1]) if len(s) else None
        previous, self._last_x = self._last_x, last
        if last is None or previous is None or last <= previous:
            return
        low, high = self.x_range()
        if low <= previous <= high:
            self.set_x_range(low + last - previous, high + last - previous)

    def set_indicators(self, lines: Mapping[IndicatorSpec, Lines]) -> None:
        """Draw these indicators' lines: overlays over the candles, the rest in the lower pane."""
        wanted_over = {name: values for spec, named in lines.items() if spec.overlay for name, values in named.items()}
        wanted_low = {name: values for spec, named in lines.items() if not spec.overlay for name, values in named.items()}
        self.lines = {**wanted_over, **wanted_low}
        self._sync_curves(self.price_plot, self.overlay_curves, wanted_over)
        self._sync_curves(self.lower_plot, self.lower_curves, wanted_low)
        self._show_lower_pane(bool(wanted_low))
        self._draw_curves()

    def _show_lower_pane(self, shown: bool) -> None:
        """Show or hide the indicator pane; the time labels sit under whichever pane is lowest."""
        self.lower_plot.setVisible(shown)
        volume_axis = self.volume_plot.getAxis("bottom")
        volume_axis.setStyle(showValues=not shown)
        volume_axis.setHeight(0 if shown else None)  # None: as tall as its labels need

    @property
    def time_axis(self) -> pg.AxisItem:
        """The bottom axis that shows the times (under the lowest pane shown)."""
        return (self.lower_plot if self.lower_plot.isVisible() else self.volume_plot).getAxis("bottom")

    def show_history_start(self, x: float | None) -> None:
        """Mark where the market's history begins (None hides the mark)."""
        if x is not None:
            self.history_start_line.setPos(x)
        self.history_start_line.setVisible(x is not None)

    def add_price_line(self, price: float) -> pg.InfiniteLine:
        """A horizontal line at ``price`` across the candles (from a click in the order book)."""
        line = pg.InfiniteLine(
            angle=0, movable=False, pen=pg.mkPen(SERIES[6], width=1, style=_DASH),
            label=f"{price:,.8g}", labelOpts={"position": 0.05, "color": SERIES[6]},
        )
        line.price = price
        line.setPos(self._to_y(price))
        self.price_plot.addItem(line, ignoreBounds=True)
        self.price_lines.append(line)
        return line

    def clear_price_lines(self) -> None:
        for line in self.price_lines:
            self.price_plot.removeItem(line)
        self.price_lines.clear()

    def set_log_scale(self, log: bool) -> None:
        """Prices on a logarithmic axis (the time range is kept)."""
        low, high = self.x_range()
        self.price_plot.setLogMode(x=False, y=log)
        self.set_x_range(low, high)
        for line in self.price_lines:
            line.setPos(self._to_y(line.price))
        self._update_last_price()

    @property
    def log_scale(self) -> bool:
        return bool(self.price_plot.getAxis("right").logMode)

    # -- navigation -----------------------------------------------------------------

    def show_last(self, count: int) -> None:
        """Frame the last ``count`` candles with a little room on the right."""
        frame = navigation.latest_range(self.series, count)
        if frame is not None:
            self.set_x_range(*frame)

    def visible_candles(self) -> int:
        """How many candles the view spans (remembered as the zoom)."""
        return navigation.visible_candles(self.series, *self.x_range())

    def x_range(self) -> tuple[float, float]:
        low, high = self.price_plot.getViewBox().viewRange()[0]
        return float(low), float(high)

    def set_x_range(self, low: float, high: float) -> None:
        self.price_plot.getViewBox().setXRange(low, high, padding=0)

    # -- drawing helpers ----------------------------------------------------------------

    def _to_y(self, price: float) -> float:
        return math.log10(price) if self.log_scale and price > 0 else price

    def _update_limits(self) -> None:
        limit = navigation.right_limit(self.series)
        box = self.price_plot.getViewBox()
        if limit is None:
            box.setLimits(xMax=None, minXRange=None)
        else:
            box.setLimits(xMax=limit, minXRange=navigation.MIN_VISIBLE_CANDLES * self.series.width)

    def _update_last_price(self) -> None:
        s = self.series
        if not len(s):
            self.last_price_line.setVisible(False)
            self.price_axis.set_tag(None, EVEN)
            return
        close, open_ = float(s.close[-1]), float(s.open[-1])
        colour = RISE if close > open_ else FALL if close < open_ else EVEN
        self.last_price_line.setPen(pg.mkPen(colour, style=_DOT))
        self.last_price_line.setPos(self._to_y(close))
        self.last_price_line.setVisible(True)
        self.price_axis.set_tag(close, colour)

    def _sync_curves(
        self, plot: pg.PlotItem, curves: dict[str, IndicatorLine], wanted: Mapping[str, NDArray[np.float64]]
    ) -> None:
        for name in [n for n in curves if n not in wanted]:
            plot.removeItem(curves.pop(name))
        # One colour per indicator (a band's three lines share it), stable while others come and go.
        families = list(dict.fromkeys(name.rsplit(" ", 1)[0] if name.startswith("BB") else name for name in wanted))
        for name in wanted:
            if name not in curves:
                family = name.rsplit(" ", 1)[0] if name.startswith("BB") else name
                colour = SERIES[families.index(family) % len(SERIES)]
                fill = {"fill_level": 0.0, "fill_brush": pg.mkBrush(colour + "60")} if name == "histogram" else {}
                curve = IndicatorLine(name, pg.mkPen(colour, width=1), **fill)
                curves[name] = curve
                plot.addItem(curve)

    def _draw_curves(self) -> None:
        """Hand each indicator curve its whole line; the curve draws what is on screen."""
        for name, curve in (*self.overlay_curves.items(), *self.lower_curves.items()):
            values = self.lines.get(name)
            if values is not None and len(values) == len(self.series):
                curve.set_line(self.series, values)

    # -- interaction ---------------------------------------------------------------

    def _x_range_changed(self, _box: object, x_range: tuple[float, float]) -> None:
        self.left_edge_moved.emit(float(x_range[0]))

    def _mouse_moved(self, event: tuple[QtCore.QPointF]) -> None:
        position = event[0]
        box = self.price_plot.getViewBox()
        inside_price = self.price_plot.sceneBoundingRect().contains(position)
        inside_volume = self.volume_plot.sceneBoundingRect().contains(position)
        if not (inside_price or inside_volume) or not len(self.series):
            for line in self._cross:
                line.setVisible(False)
            self.hovered.emit(-1)
            return
        point = box.mapSceneToView(position)
        index = self.series.nearest(point.x())
        if index is None:
            return
        center = float(self.series.x[index]) + self.series.width / 2
        self._cross[0].setPos(center)
        self._cross[2].setPos(center)
        self._cross[1].setPos(point.y())
        self._cross[0].setVisible(True)
        self._cross[2].setVisible(True)
        self._cross[1].setVisible(inside_price)
        self.hovered.emit(index)
