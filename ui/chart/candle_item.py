"""Candlestick and volume items for pyqtgraph that draw only what is on screen.

The items hold a ``CandleSeries`` (numpy columns) and, on every paint, slice
the visible index range, then issue one batched ``drawLines``/``drawRects`` per
colour through pyqtgraph's primitive arrays (no Python object per candle).
When candles are narrower than about two pixels they are decimated into
buckets of whole candles (first open, highest high, lowest low, last close),
aligned to global indices so buckets stay put while panning. 100,000 candles
therefore cost no more to draw than the few hundred that fit on screen. Zoomed far
out, a bucket is rounded up (by at most 12.5%) to whole blocks of precomputed
highest highs and lowest lows, so a million visible candles are not each read
again on every frame.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PyQt6 import QtCore, QtGui
from pyqtgraph.Qt import internals

from ui.colors import FALL, RISE
from ui.models.chart.extremes import BlockExtent, ColumnPyramid, pyramid_level
from ui.models.chart.series import CandleSeries, view_y

_MIN_CANDLE_PX = 2.0  # below this, bucket candles together
_BODY_FRACTION = 0.7  # body width as a share of the interval


class CandlestickItem(pg.GraphicsObject):
    """Candles: a wick line from low to high and a body from open to close, per colour.

    Holds the shared machinery too (the series, visible slicing, bounds and the
    per-colour primitive arrays), which ``VolumeItem`` reuses.
    """

    def __init__(self, series: CandleSeries, rise: str = RISE, fall: str = FALL) -> None:
        super().__init__()
        self.series = series
        self._colors = (QtGui.QColor(rise), QtGui.QColor(fall))
        self._pens = [pg.mkPen(c, width=1, cosmetic=True) for c in self._colors]
        self._brushes = [QtGui.QBrush(c) for c in self._colors]
        self._lines = [internals.PrimitiveArray(QtCore.QLineF, 4) for _ in range(2)]
        self._rects = [internals.PrimitiveArray(QtCore.QRectF, 4) for _ in range(2)]
        self._bounds = QtCore.QRectF()
        self._extent = BlockExtent(np.empty(0), np.empty(0))
        self._pyramids: dict[str, ColumnPyramid] = {}  # built when a wide view first needs one
        self._log_y = False  # prices drawn as log10 when the plot's y axis is logarithmic
        self.painted_candles = 0  # drawn primitives in the last paint (for tests and benches)
        self.refresh()

    def set_series(self, series: CandleSeries) -> None:
        self.series = series
        self.refresh()

    def setLogMode(self, x: bool, y: bool) -> None:
        """pyqtgraph calls this when the plot's axes switch between linear and log."""
        if y != self._log_y:
            self._log_y = y
            self.refresh()

    def _y(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        return view_y(values, self._log_y)

    def refresh(self) -> None:
        """Call after the series changed: recompute bounds and repaint."""
        self.prepareGeometryChange()
        self._index_blocks()
        self._bounds = self._compute_bounds()
        self.informViewBoundsChanged()
        self.update()

    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF(self._bounds)

    def _compute_bounds(self) -> QtCore.QRectF:
        s = self.series
        if not len(s):
            return QtCore.QRectF()
        low, high = self._y_extent(0, len(s))
        return QtCore.QRectF(s.x[0], low, s.x[-1] + s.width - s.x[0], max(high - low, 1e-12))

    def dataBounds(
        self, ax: int, frac: float = 1.0, orthoRange: tuple[float, float] | None = None
    ) -> tuple[float | None, float | None]:
        s = self.series
        if not len(s):
            return (None, None)
        if ax == 0:
            return (float(s.x[0]), float(s.x[-1] + s.width))
        i0, i1 = (0, len(s)) if orthoRange is None else s.visible_range(*orthoRange)
        if i1 <= i0:
            return (None, None)
        return self._y_extent(i0, i1)

    def paint(self, p: QtGui.QPainter, *args: object) -> None:
        s = self.series
        self.painted_candles = 0
        if not len(s):
            return
        view = self.viewRect()
        if view is None:
            return
        i0, i1 = s.visible_range(view.left(), view.right())
        if i1 <= i0:
            return
        px_per_x = abs(p.transform().m11()) or 1.0
        candle_px = s.width * px_per_x
        bucket = 1 if candle_px >= _MIN_CANDLE_PX else math.ceil(_MIN_CANDLE_PX / candle_px)
        if bucket > 1:
            # Whole blocks of the column pyramids (at most 12.5% wider) when zoomed far out.
            level = pyramid_level(bucket, len(s))
            bucket = -(-bucket // level) * level
            i0 -= i0 % bucket  # global alignment keeps buckets still while panning
        self._draw(p, i0, i1, bucket)

    def _columns(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The (low, high) columns whose extent fits the y axis."""
        return self.series.low, self.series.high

    def _index_blocks(self) -> None:
        """Per-block lows and highs, so the extent of a wide visible range (autorange on every
        pan or zoom frame) reads a few thousand values instead of up to a million."""
        self._extent = BlockExtent(*self._columns())
        self._pyramids = {}

    def _raw_extent(self, i0: int, i1: int) -> tuple[float, float]:
        return self._extent.extent(i0, i1) or (0.0, 0.0)

    def _y_extent(self, i0: int, i1: int) -> tuple[float, float]:
        low, high = self._raw_extent(i0, i1)
        if self._log_y:
            return float(np.log10(max(low, 1e-300))), float(np.log10(max(high, 1e-300)))
        return low, high

    def _draw(self, p: QtGui.QPainter, i0: int, i1: int, bucket: int) -> None:
        d = self._buckets(i0, i1, bucket, ("high", "low"))
        rising = d["close"] >= d["open"]
        center = d["x"] + d["width"] / 2.0
        self.painted_candles = len(center)
        low, high, open_, close = (self._y(d[name]) for name in ("low", "high", "open", "close"))
        for which, mask in ((0, rising), (1, ~rising)):
            self._fill_lines(which, center[mask], low[mask], high[mask])
            if bucket == 1:
                body = d["width"][mask] * _BODY_FRACTION
                top = np.maximum(open_[mask], close[mask])
                bottom = np.minimum(open_[mask], close[mask])
                self._fill_rects(which, center[mask] - body / 2.0, bottom, body, top - bottom)
            else:
                self._rects[which].resize(0)
        self._stroke(p, lines=True, rects=bucket == 1)

    def _buckets(self, i0: int, i1: int, bucket: int, extremes: tuple[str, ...]) -> dict[str, NDArray[np.float64]]:
        """x, width, open, close and the ``extremes`` columns over ``[i0, i1)``, merged ``bucket``
        candles at a time. Only the extremes asked for are reduced, from the column's pyramid
        when the buckets span whole blocks of it (a few thousand block values, not every
        visible candle)."""
        s = self.series
        if bucket == 1:
            return {
                "x": s.x[i0:i1], "open": s.open[i0:i1], "close": s.close[i0:i1],
                "width": np.full(i1 - i0, s.width),
                **{name: getattr(s, name)[i0:i1] for name in extremes},
            }
        starts = np.arange(i0, i1, bucket)
        ends = np.minimum(starts + bucket, i1)
        x = s.x[starts]
        return {
            "x": x,
            "open": s.open[starts],
            "close": s.close[ends - 1],
            # The bucket spans from its first candle to the end of its last one.
            "width": s.x[ends - 1] + s.width - x,
            **{name: self._pyramid(name).buckets(i0, i1, bucket) for name in extremes},
        }

    def _pyramid(self, name: str) -> ColumnPyramid:
        """The column's block extremes for wide views (highs and volumes by their highest,
        lows by their lowest), built on first use after each change of the series."""
        pyramid = self._pyramids.get(name)
        if pyramid is None:
            pyramid = ColumnPyramid(getattr(self.series, name), np.minimum if name == "low" else np.maximum)
            self._pyramids[name] = pyramid
        return pyramid

    def _fill_lines(self, which: int, x: np.ndarray, y0: np.ndarray, y1: np.ndarray) -> None:
        arr = self._lines[which]
        arr.resize(len(x))
        mem = arr.ndarray()
        mem[:, 0] = x
        mem[:, 1] = y0
        mem[:, 2] = x
        mem[:, 3] = y1

    def _fill_rects(self, which: int, x: np.ndarray, y: np.ndarray, w: np.ndarray, h: np.ndarray) -> None:
        arr = self._rects[which]
        arr.resize(len(x))
        mem = arr.ndarray()
        mem[:, 0] = x
        mem[:, 1] = y
        mem[:, 2] = w
        mem[:, 3] = h

    def _stroke(self, p: QtGui.QPainter, lines: bool, rects: bool) -> None:
        """One draw call per colour and primitive kind."""
        for which in (0, 1):
            p.setPen(self._pens[which])
            if lines and len(self._lines[which]):
                p.drawLines(*self._lines[which].drawargs())
            if rects and len(self._rects[which]):
                p.setBrush(self._brushes[which])
                p.drawRects(*self._rects[which].drawargs())


class VolumeItem(CandlestickItem):
    """Volume bars from zero, coloured by the candle's direction."""

    def _columns(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        return self.series.volume, self.series.volume

    def _y_extent(self, i0: int, i1: int) -> tuple[float, float]:
        return 0.0, self._raw_extent(i0, i1)[1] or 1.0

    def _draw(self, p: QtGui.QPainter, i0: int, i1: int, bucket: int) -> None:
        d = self._buckets(i0, i1, bucket, ("volume",))
        rising = d["close"] >= d["open"]
        center = d["x"] + d["width"] / 2.0
        self.painted_candles = len(center)
        for which, mask in ((0, rising), (1, ~rising)):
            if bucket == 1:
                body = d["width"][mask] * _BODY_FRACTION
                vol = d["volume"][mask]
                self._fill_rects(which, center[mask] - body / 2.0, np.zeros_like(vol), body, vol)
                self._lines[which].resize(0)
            else:
                self._fill_lines(which, center[mask], np.zeros(int(mask.sum())), d["volume"][mask])
                self._rects[which].resize(0)
        self._stroke(p, lines=bucket > 1, rects=bucket == 1)
