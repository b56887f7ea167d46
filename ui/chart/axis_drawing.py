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

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui

_FRESH = QtGui.QPicture()  # stands in ``picture`` for "specs are current"; pyqtgraph resets it to None
_MEASURED_LIMIT = 4_096  # label sizes remembered before the memory starts over
_ALIGN = QtCore.Qt.AlignmentFlag
_TEXT_FLAGS = {  # each orientation's label alignment (as drawn, as measured)
    "left": (_ALIGN.AlignRight | _ALIGN.AlignVCenter | QtCore.Qt.TextFlag.TextDontClip, _ALIGN.AlignCenter),
    "right": (_ALIGN.AlignLeft | _ALIGN.AlignVCenter | QtCore.Qt.TextFlag.TextDontClip, _ALIGN.AlignCenter),
    "top": (_ALIGN.AlignHCenter | _ALIGN.AlignBottom | QtCore.Qt.TextFlag.TextDontClip, _ALIGN.AlignCenter),
    "bottom": (_ALIGN.AlignHCenter | _ALIGN.AlignTop | QtCore.Qt.TextFlag.TextDontClip, _ALIGN.AlignCenter),
}


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

    def generateDrawSpecs(self, p: Any) -> tuple[Any, ...] | None:
        """pyqtgraph's draw specifications, computed as ``AxisItem.generateDrawSpecs`` computes
        them (the same steps in the same order, so the same floats), with what does not change
        between ticks taken once: the axis's bounding rectangle, the alignment flags, plain
        points instead of pyqtgraph's ``Point`` wrappers."""
        if self.style["tickFont"] is not None:
            p.setFont(self.style["tickFont"])
        bounds = self.mapRectFromParent(self.geometry())
        linked_view = self.linkedView()
        if linked_view is None or self.grid is False:
            tick_bounds = bounds
        else:
            tick_bounds = linked_view.mapRectToItem(self, linked_view.boundingRect())
        orientation = self.orientation
        if orientation == "left":
            span = (bounds.topRight() + QtCore.QPointF(-1.0, -1.0), bounds.bottomRight() + QtCore.QPointF(-1.0, 1.0))
            tick_start, tick_stop, tick_dir, axis = tick_bounds.right(), bounds.right(), -1, 0
        elif orientation == "right":
            span = (bounds.topLeft() + QtCore.QPointF(1.0, -1.0), bounds.bottomLeft() + QtCore.QPointF(1.0, 1.0))
            tick_start, tick_stop, tick_dir, axis = tick_bounds.left(), bounds.left(), 1, 0
        elif orientation == "top":
            span = (bounds.bottomLeft() + QtCore.QPointF(-1.0, -1.0), bounds.bottomRight() + QtCore.QPointF(1.0, -1.0))
            tick_start, tick_stop, tick_dir, axis = tick_bounds.bottom(), bounds.bottom(), -1, 1
        elif orientation == "bottom":
            span = (bounds.topLeft() + QtCore.QPointF(-1.0, 1.0), bounds.topRight() + QtCore.QPointF(1.0, 1.0))
            tick_start, tick_stop, tick_dir, axis = tick_bounds.top(), bounds.top(), 1, 1
        else:
            raise ValueError("self.orientation must be in {'left', 'right', 'top', 'bottom'}")
        points = [self.mapToDevice(point) for point in span]
        if None in points:
            return None
        length_in_pixels = pg.Point(points[1] - points[0]).length()
        if length_in_pixels == 0:
            return None

        if self._tickLevels is None:
            tick_levels = self.tickValues(self.range[0], self.range[1], length_in_pixels)
            tick_strings = None
        else:
            tick_levels, tick_strings = [], []
            for level in self._tickLevels:
                tick_levels.append((None, [value for value, _ in level]))
                tick_strings.append([text for _, text in level])

        dif = self.range[1] - self.range[0]
        if dif == 0:
            x_scale, offset = 1, 0
        elif axis == 0:
            x_scale = -bounds.height() / dif
            offset = self.range[0] * x_scale - bounds.height()
        else:
            x_scale = bounds.width() / dif
            offset = self.range[0] * x_scale
        x_range = [x * x_scale - offset for x in self.range]
        x_min, x_max = min(x_range), max(x_range)

        tick_positions: list[list[float | None]] = []
        tick_specs = []
        grid = self.grid
        for i, (_, ticks) in enumerate(tick_levels):
            positions: list[float | None] = []
            tick_positions.append(positions)
            tick_length = self.style["tickLength"] / ((i * 0.5) + 1.0)
            line_alpha = self.style["tickAlpha"]
            if line_alpha is None:
                line_alpha = 255 / (i + 1)
                if grid is not False:
                    line_alpha *= grid / 255.0 * pg.functions.clip_scalar((0.05 * length_in_pixels / (len(ticks) + 1)), 0.0, 1.0)
            elif isinstance(line_alpha, float):
                line_alpha = min(255, max(0, round(line_alpha * 255)))
            elif isinstance(line_alpha, int):
                if line_alpha > 255 or line_alpha < 0:
                    raise ValueError("lineAlpha should be [0..255]")
            else:
                raise TypeError("Line Alpha should be of type None, float or int")
            tick_pen = self.tickPen()
            if tick_pen.brush().style() == QtCore.Qt.BrushStyle.SolidPattern:
                tick_pen = QtGui.QPen(tick_pen)
                colour = QtGui.QColor(tick_pen.color())
                colour.setAlpha(int(line_alpha))
                tick_pen.setColor(colour)
            stop = tick_stop if grid is not False else tick_stop + tick_length * tick_dir
            for v in ticks:
                x = (v * x_scale) - offset
                if x < x_min or x > x_max:
                    positions.append(None)
                    continue
                positions.append(x)
                if axis == 0:
                    tick_specs.append((tick_pen, QtCore.QPointF(tick_start, x), QtCore.QPointF(stop, x)))
                else:
                    tick_specs.append((tick_pen, QtCore.QPointF(x, tick_start), QtCore.QPointF(x, stop)))

        if self.style["stopAxisAtTick"][0] is True:
            min_tick = min(map(min, tick_positions))  # as pyqtgraph, which assumes every position is set
            if axis == 0:
                span[0].setY(max(span[0].y(), min_tick))
            else:
                span[0].setX(max(span[0].x(), min_tick))
        if self.style["stopAxisAtTick"][1] is True:
            max_tick = max(map(max, tick_positions))
            if axis == 0:
                span[1].setY(min(span[1].y(), max_tick))
            else:
                span[1].setX(min(span[1].x(), max_tick))
        axis_spec = (self.pen(), span[0], span[1])

        text_offset = self.style["tickTextOffset"][axis]
        text_size2 = 0
        last_text_size2 = 0
        text_rects: list[QtCore.QRectF] = []
        text_specs: list[tuple[QtCore.QRectF, Any, str]] = []
        if not self.style["showValues"]:
            return (axis_spec, tick_specs, text_specs)

        measure_box = QtCore.QRectF(0, 0, 100, 100)
        own_bounds = self.boundingRect()
        text_flags, align = _TEXT_FLAGS[orientation]
        for i in range(min(len(tick_levels), self.style["maxTextLevel"] + 1)):
            if tick_strings is None:
                spacing, values = tick_levels[i]
                strings = self.tickStrings(values, self.autoSIPrefixScale * self.scale, spacing)
            else:
                strings = tick_strings[i]
            if len(strings) == 0:
                continue
            strings = [None if tick_positions[i][j] is None else text for j, text in enumerate(strings)]
            rects: list[QtCore.QRectF | None] = []
            for text in strings:
                if text is None:
                    rects.append(None)
                else:
                    br = p.boundingRect(measure_box, align, text)
                    br.setHeight(br.height() * 0.8)
                    rects.append(br)
                    text_rects.append(br)
            if text_rects:
                if axis == 0:
                    text_size = np.sum([r.height() for r in text_rects])
                    text_size2 = np.max([r.width() for r in text_rects])
                else:
                    text_size = np.sum([r.width() for r in text_rects])
                    text_size2 = np.max([r.height() for r in text_rects])
            else:
                text_size = 0
                text_size2 = 0
            if i > 0:
                fill_ratio = float(text_size) / length_in_pixels
                if any(len(text_specs) >= count and fill_ratio >= limit for count, limit in self.style["textFillLimits"]):
                    break
            last_text_size2 = text_size2
            offset_text = max(0, self.style["tickLength"]) + text_offset
            for j, text in enumerate(strings):
                if text is None:
                    continue
                x = tick_positions[i][j]
                text_rect = rects[j]
                height, width = text_rect.height(), text_rect.width()
                if orientation == "left":
                    rect = QtCore.QRectF(tick_stop - offset_text - width, x - (height / 2), width, height)
                elif orientation == "right":
                    rect = QtCore.QRectF(tick_stop + offset_text, x - (height / 2), width, height)
                elif orientation == "top":
                    rect = QtCore.QRectF(x - width / 2.0, tick_stop - offset_text - height, width, height)
                else:
                    rect = QtCore.QRectF(x - width / 2.0, tick_stop + offset_text, width, height)
                if own_bounds & rect != rect:  # pyqtgraph's test: contains() suffers from rounding
                    continue
                text_specs.append((rect, text_flags, text))
        self._updateMaxTextSize(last_text_size2)
        return axis_spec, tick_specs, text_specs

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
