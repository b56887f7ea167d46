"""An axis that draws its ticks, grid lines and labels straight onto the painter.

pyqtgraph's ``AxisItem`` records every tick into a ``QPicture`` and replays it, one
``drawLine`` per grid line. While the chart pans or zooms the axis changes every frame,
so the recording is thrown away as soon as it is made: here the computed draw
specifications are kept instead (and reused while the range stands still, as when only
the crosshair moves), and each tick level's grid lines go out in one ``drawLines`` call.
The ticks, their pens and labels are pyqtgraph's own; only the way they reach the
painter changes, and two steps of computing them are done without repeated work: each
label's size is measured once (labels recur from frame to frame) and the tick values
come from plain arithmetic instead of numpy calls on a few dozen numbers.
"""

from __future__ import annotations

import bisect
from math import ceil
from typing import Any, ClassVar

import pyqtgraph as pg
from PyQt6 import QtCore, QtGui

_FRESH = QtGui.QPicture()  # stands in ``picture`` for "specs are current"; pyqtgraph resets it to None
_MEASURED_LIMIT = 4_096  # label sizes remembered before the memory starts over


class _LabelMeasure:
    """Stands in for the painter pyqtgraph measures tick labels on: the same measurement, on
    a painter of its own as pyqtgraph's is, remembered for each font, rectangle and text."""

    sizes: ClassVar[dict[tuple[str, float, float, int, str], QtCore.QRectF]] = {}  # shared by every axis

    def __init__(self, font: QtGui.QFont) -> None:
        self._font = QtGui.QFont(font)
        self._key = self._font.key()
        self._picture: QtGui.QPicture | None = None
        self._painter: QtGui.QPainter | None = None

    def setFont(self, font: QtGui.QFont) -> None:
        self._font = QtGui.QFont(font)
        self._key = self._font.key()
        if self._painter is not None:
            self._painter.setFont(self._font)

    def boundingRect(self, rect: QtCore.QRectF, flags: Any, text: str) -> QtCore.QRectF:
        key = (self._key, rect.width(), rect.height(), int(flags), text)
        known = self.sizes.get(key)
        if known is None:
            if self._painter is None:
                self._picture = QtGui.QPicture()
                self._painter = QtGui.QPainter(self._picture)
                self._painter.setFont(self._font)
            if len(self.sizes) >= _MEASURED_LIMIT:
                self.sizes.clear()
            known = self.sizes[key] = self._painter.boundingRect(rect, flags, text)
        return QtCore.QRectF(known)  # pyqtgraph resizes the rectangle it is given

    def end(self) -> None:
        if self._painter is not None:
            self._painter.end()


class DirectAxis(pg.AxisItem):
    """``AxisItem`` drawing its cached specs directly, grid lines batched per tick level."""

    def __init__(self, orientation: str, **kwargs: Any) -> None:
        super().__init__(orientation, **kwargs)
        self._specs: tuple[Any, ...] | None = None

    def paint(self, p: QtGui.QPainter, *args: object) -> None:
        if self.picture is None:  # pyqtgraph clears it whenever the axis must be recomputed
            self._specs = self._measure()
            self.picture = _FRESH
        if self._specs is not None:
            p.save()
            self.drawPicture(p, *self._specs)
            p.restore()

    def _measure(self) -> tuple[Any, ...] | None:
        """The draw specifications, measured on a painter of their own as pyqtgraph does.

        Measured on the view's painter (the scene's clip, state and the widget's font),
        a left axis of nine-digit prices came out with tick lines but no label at all.
        """
        painter = _LabelMeasure(self._font())
        try:
            return self.generateDrawSpecs(painter)
        finally:
            painter.end()

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, list[float]]]:
        """pyqtgraph's tick values, to the last bit: each level's ticks from the same float
        operations, without those already on a higher level (within a hundredth of a step)."""
        minVal, maxVal = sorted((minVal, maxVal))
        minVal *= self.scale
        maxVal *= self.scale
        ticks = []
        taken: list[float] = []  # ascending
        for spacing, offset in self.tickSpacing(minVal, maxVal, size):
            start = (ceil((minVal - offset) / spacing) * spacing) + offset
            num = int((maxVal - start) / spacing) + 1
            tolerance = spacing / self.scale * 0.01
            values = [(float(k) * spacing + start) / self.scale for k in range(max(num, 0))]
            values = [v for v in values if not _near(taken, v, tolerance)]
            for v in values:
                bisect.insort(taken, v)
            ticks.append((spacing / self.scale, values))
        if self.logMode:
            return self.logTickValues(minVal, maxVal, size, ticks)
        return ticks

    def _font(self) -> QtGui.QFont:
        """The labels' font: the axis style's, else the default one pyqtgraph's pictures use."""
        return self.style["tickFont"] or QtGui.QFont()

    def drawn_labels(self) -> list[str]:
        """The tick labels the axis draws now (empty until it has painted)."""
        return [] if self._specs is None else [text for _, _, text in self._specs[2]]

    def drawPicture(self, p: QtGui.QPainter, axisSpec: Any, tickSpecs: Any, textSpecs: Any) -> None:
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)
        p.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing, True)
        pen, start, end = axisSpec
        p.setPen(pen)
        p.drawLine(start, end)
        batch: list[QtCore.QLineF] = []
        batch_pen = None
        for pen, start, end in tickSpecs:  # one pen per tick level, levels in order
            if pen is not batch_pen:
                if batch:
                    p.setPen(batch_pen)
                    p.drawLines(batch)
                batch, batch_pen = [], pen
            batch.append(QtCore.QLineF(start, end))
        if batch:
            p.setPen(batch_pen)
            p.drawLines(batch)
        if textSpecs:
            p.setFont(self._font())  # the font they were measured with
            p.setPen(self.textPen())
            p.setClipRect(self.boundingRect().toAlignedRect())
            for rect, flags, text in textSpecs:
                p.drawText(rect, int(flags), text)


def _near(taken: list[float], value: float, tolerance: float) -> bool:
    """Whether an ascending ``taken`` holds a value within ``tolerance`` of ``value`` (the
    test numpy's ``isclose(..., rtol=0, atol=tolerance)`` makes)."""
    at = bisect.bisect_left(taken, value)
    return (at < len(taken) and abs(taken[at] - value) <= tolerance) or (
        at > 0 and abs(taken[at - 1] - value) <= tolerance
    )
