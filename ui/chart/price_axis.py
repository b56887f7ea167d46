"""A price axis that prints prices the way Upbit does (no scientific notation), with an
optional coloured tag marking the last price."""

from __future__ import annotations

import math

from PyQt6 import QtCore, QtGui

from ui.chart.axis_drawing import DirectAxis
from ui.models.formatting import format_amount, format_price

AXIS_WIDTH = 86  # both panes use it, so their time axes line up


class PriceAxis(DirectAxis):
    """Right-hand axis with thousands separators; ``compact`` uses K/M/B for volumes."""

    def __init__(self, orientation: str = "right", *, compact: bool = False, **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)
        self.compact = compact
        self.enableAutoSIPrefix(False)
        self.setWidth(AXIS_WIDTH)
        self.tag_price: float | None = None  # the price the tag marks, None for no tag
        self.tag_text = ""
        self.tag_colour = QtGui.QColor("#888888")

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if self.logMode:  # ticks sit at log10(price)
            return [format_price(10**v) for v in values]
        if self.compact:
            return [format_amount(v * scale) for v in values]
        if spacing < 1:
            digits = min(8, max(0, -int(f"{spacing:e}".split("e")[1])))
            return [f"{v * scale:,.{digits}f}" for v in values]
        return [format_price(v * scale) for v in values]

    def set_tag(self, price: float | None, colour: str) -> None:
        """Mark ``price`` on the axis with a filled tag in ``colour`` (None removes it)."""
        self.tag_price = price
        self.tag_text = "" if price is None else format_price(price)
        self.tag_colour = QtGui.QColor(colour)
        self.update()

    def paint(self, p: QtGui.QPainter, *args: object) -> None:
        super().paint(p, *args)
        view = self.linkedView()
        if self.tag_price is None or view is None or not self.tag_price > 0:
            return
        y_value = math.log10(self.tag_price) if self.logMode else self.tag_price
        low, high = view.viewRange()[1]
        if not low <= y_value <= high:
            return
        y = self.mapFromScene(view.mapViewToScene(QtCore.QPointF(0.0, y_value))).y()
        metrics = QtGui.QFontMetrics(p.font())
        height = metrics.height() + 4
        rect = QtCore.QRectF(0.0, y - height / 2, self.width(), height)
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        p.setBrush(self.tag_colour)
        p.drawRect(rect)
        p.setPen(QtGui.QColor("#ffffff"))
        p.drawText(rect.adjusted(4, 0, 0, 0), QtCore.Qt.AlignmentFlag.AlignVCenter, self.tag_text)
