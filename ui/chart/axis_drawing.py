"""An axis that draws its ticks, grid lines and labels straight onto the painter.

pyqtgraph's ``AxisItem`` records every tick into a ``QPicture`` and replays it, one
``drawLine`` per grid line. While the chart pans or zooms the axis changes every frame,
so the recording is thrown away as soon as it is made: here the computed draw
specifications are kept instead (and reused while the range stands still, as when only
the crosshair moves), and each tick level's grid lines go out in one ``drawLines`` call.
The ticks, their pens and labels are pyqtgraph's own; only the way they reach the
painter changes.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PyQt6 import QtCore, QtGui

_FRESH = QtGui.QPicture()  # stands in ``picture`` for "specs are current"; pyqtgraph resets it to None


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
        picture = QtGui.QPicture()
        painter = QtGui.QPainter(picture)
        try:
            painter.setFont(self._font())
            return self.generateDrawSpecs(painter)
        finally:
            painter.end()

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
