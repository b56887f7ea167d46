"""An indicator line for pyqtgraph that draws only what is on screen, through every extreme.

A line as long as the candle series (a million values and more) is drawn, on each paint,
from the visible index range only. When more candles than pixels are in view, the range
is cut into buckets about a pixel wide, aligned to global indices, and each bucket keeps
its lowest and highest value (``ui.models.chart.extremes``): the line still reaches every
peak and trough on screen, and costs what the screen's width costs. The segments are
issued as one ``drawPolyline`` call from a primitive array; a ``nan`` (an indicator's
warm-up) leaves a gap. The y extent of any range comes from precomputed block extremes,
so autorange never scans the whole line.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PyQt6 import QtCore, QtGui
from pyqtgraph.Qt import internals

from ui.models.chart.extremes import LineExtremes
from ui.models.chart.series import CandleSeries, view_y

_EMPTY = np.empty(0)


class IndicatorLine(pg.GraphicsObject):
    """One named indicator line through candle centres, optionally filled down to ``fill_level``.

    Behaves like a ``PlotDataItem`` where the chart and its legend need it: ``name()``,
    ``opts`` (pen, fill), ``getData()`` (the points drawn for the current view), ``setLogMode``.
    """

    def __init__(
        self, name: str, pen: QtGui.QPen, *, fill_level: float | None = None, fill_brush: QtGui.QBrush | None = None
    ) -> None:
        super().__init__()
        self._name = name
        self.opts = {"pen": pen, "fillLevel": fill_level, "fillBrush": fill_brush, "antialias": False}
        self._pen = QtGui.QPen(pen)
        self._pen.setCosmetic(True)
        # The candles' starts and width when the line was handed over: until the next line
        # arrives (after older history or a new candle) it stays where it was computed.
        self.x: NDArray[np.float64] = _EMPTY
        self.width = 60.0
        self.values: NDArray[np.float64] = _EMPTY
        self._extremes = LineExtremes(_EMPTY)
        self._log_y = False
        self._points_memo: tuple[tuple[int, int, int], NDArray[np.intp]] | None = None
        self._run = internals.PrimitiveArray(QtCore.QPointF, 2)
        self._segments = internals.PrimitiveArray(QtCore.QLineF, 4)
        self._bounds = QtCore.QRectF()

    # -- what pyqtgraph's plot and legend ask of a data item ------------------------------------

    def name(self) -> str:
        return self._name

    def implements(self, interface: str | None = None) -> bool | list[str]:
        """Declares itself a plot data item, so the plot lists it in its legend."""
        return ["plotData"] if interface is None else interface == "plotData"

    def setLogMode(self, x: bool, y: bool) -> None:
        """pyqtgraph calls this when the plot's axes switch between linear and log."""
        if y != self._log_y:
            self._log_y = y
            self._refresh_bounds()

    # -- data ---------------------------------------------------------------------------------

    def set_line(self, series: CandleSeries, values: NDArray[np.float64]) -> None:
        """Draw ``values`` (one per candle of ``series``); the same array again costs nothing."""
        if len(values) != len(series):
            raise ValueError(f"line {self._name!r} has {len(values)} values for {len(series)} candles")
        if values is self.values and series.x is self.x:
            return
        prepended = _prepended(self.x, series.x)
        self.x, self.width = series.x, series.width
        self.values = values
        # Older history or a live change: only the buckets of values that changed are rebuilt.
        self._extremes = self._extremes.follow(values, prepended=prepended)
        self._points_memo = None
        self._refresh_bounds()

    def _refresh_bounds(self) -> None:
        self.prepareGeometryChange()
        x = self.x
        extent = self._y_extent(0, len(x)) if len(x) else None
        if extent is None:
            self._bounds = QtCore.QRectF()
        else:
            low, high = extent
            self._bounds = QtCore.QRectF(x[0], low, x[-1] + self.width - x[0], max(high - low, 1e-12))
        self._points_memo = None
        self.informViewBoundsChanged()
        self.update()

    def _y(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        return view_y(values, self._log_y)

    def _y_extent(self, i0: int, i1: int) -> tuple[float, float] | None:
        extent = self._extremes.extent.extent(i0, i1)
        if extent is None or not self._log_y:
            return extent
        low, high = extent
        if high <= 0:
            return None
        # A line dipping to zero or below has no place on a log axis; its positive part fits.
        return (math.log10(low) if low > 0 else math.log10(high)), math.log10(high)

    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF(self._bounds)

    def dataBounds(
        self, ax: int, frac: float = 1.0, orthoRange: tuple[float, float] | None = None
    ) -> tuple[float | None, float | None]:
        x = self.x
        if not len(x):
            return (None, None)
        if ax == 0:
            return (float(x[0]), float(x[-1] + self.width))
        i0, i1 = (0, len(x)) if orthoRange is None else self._index_range(*orthoRange)
        extent = self._y_extent(i0, i1) if i1 > i0 else None
        return (None, None) if extent is None else extent

    # -- what is drawn -----------------------------------------------------------------------------

    def visible_points(self) -> NDArray[np.intp]:
        """Indices of the candles the line passes through in the current view: all of them up
        close, each bucket's lowest and highest when candles are narrower than a pixel, and
        always the last one in view."""
        box = self.getViewBox()
        if box is None or not len(self.x):
            return np.empty(0, dtype=np.intp)
        low, high = box.viewRange()[0]
        i0, i1 = self._index_range(low - self.width, high + self.width)
        i1 = max(i1, min(i0 + 1, len(self.x)))
        pixels = max(box.width(), 100.0)
        bucket = max(1, math.ceil((i1 - i0) / pixels))
        key = (i0, i1, bucket)
        if self._points_memo is None or self._points_memo[0] != key:
            self._points_memo = (key, self._extremes.points(i0, i1, bucket))
        return self._points_memo[1]

    def getData(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(x, y) of the points drawn for the current view (x at candle centres, y as values)."""
        index = self.visible_points()
        return self.x[index] + self.width / 2, self.values[index]

    def _index_range(self, x0: float, x1: float) -> tuple[int, int]:
        """``[i0, i1)`` of the candles overlapping ``[x0, x1]``."""
        return int(np.searchsorted(self.x, x0 - self.width)), int(np.searchsorted(self.x, x1, side="right"))

    def paint(self, p: QtGui.QPainter, *args: object) -> None:
        index = self.visible_points()
        if len(index) < 2:
            return
        x = self.x[index] + self.width / 2
        y = self._y(self.values[index])
        finite = np.isfinite(y)
        fill = self.opts["fillLevel"]
        if fill is not None and self.opts["fillBrush"] is not None and np.count_nonzero(finite) > 1:
            self._fill(p, x[finite], y[finite], float(fill))
        p.setPen(self._pen)
        first = int(np.argmax(finite))
        if finite[first:].all():  # the usual line: a warm-up at most, then one unbroken run
            if len(y) - first > 1:
                self._run.resize(len(y) - first)
                mem = self._run.ndarray()
                mem[:, 0], mem[:, 1] = x[first:], y[first:]
                p.drawPolyline(*self._run.drawargs())
            return
        joined = finite[:-1] & finite[1:]  # with gaps: each segment needs both ends
        self._segments.resize(int(np.count_nonzero(joined)))
        mem = self._segments.ndarray()
        mem[:, 0], mem[:, 1] = x[:-1][joined], y[:-1][joined]
        mem[:, 2], mem[:, 3] = x[1:][joined], y[1:][joined]
        p.drawLines(*self._segments.drawargs())

    def _fill(self, p: QtGui.QPainter, x: NDArray[np.float64], y: NDArray[np.float64], level: float) -> None:
        """The area between the line and ``level`` (the MACD histogram's)."""
        polygon = pg.functions.create_qpolygonf(len(x) + 2)
        mem = pg.functions.ndarray_from_qpolygonf(polygon)
        mem[:-2, 0], mem[:-2, 1] = x, y
        mem[-2] = (x[-1], level)
        mem[-1] = (x[0], level)
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        p.setBrush(self.opts["fillBrush"])
        p.drawPolygon(polygon)


def _prepended(old: NDArray[np.float64], new: NDArray[np.float64]) -> int:
    """How many candles were put before ``old`` to make ``new`` (both ascending starts), 0 when
    ``new`` is not ``old`` behind older candles only."""
    added = len(new) - len(old)
    if added <= 0 or not len(old) or new[added] != old[0] or new[-1] != old[-1]:
        return 0
    return added  # ascending and unique: the same first and last start leave no room for an insert
