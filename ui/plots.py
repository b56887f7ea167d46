"""Plot habits shared by the panels' pyqtgraph plots: legends that never cover a curve,
value axes that read sensibly when every value is zero, and one paint per change."""

from __future__ import annotations

import pyqtgraph as pg
from PyQt6 import QtGui

_TOP_AXIS_ROW = 1  # PlotItem's layout: title, top axis, view box row, bottom axis, x label
_VIEW_COLUMN = 1


def legend_above(plot: pg.PlotItem, columns: int = 4, text_size: str = "8pt") -> pg.LegendItem:
    """A legend in the plot's own layout above the view box (where a hidden top axis sits), so
    curves added with ``name=`` are listed there and never drawn under it."""
    legend = pg.LegendItem(colCount=columns, labelTextSize=text_size)
    top_axis = plot.getAxis("top")
    top_axis.hide()
    plot.layout.removeItem(top_axis)  # its cell, not a corner of the view, holds the legend
    plot.layout.addItem(legend, _TOP_AXIS_ROW, _VIEW_COLUMN)
    plot.legend = legend  # PlotItem.addItem lists named items in ``plot.legend``
    return legend


def counts_axis(plot: pg.PlotItem, minimum_span: float = 1.0) -> None:
    """A non-negative value axis: never below zero, at least ``minimum_span`` tall, and no SI
    scaling (an all-zero series reads "0..1", not "x0.001, -400..400")."""
    plot.getViewBox().setLimits(yMin=0.0, minYRange=minimum_span)
    plot.getAxis("left").enableAutoSIPrefix(False)


def settle(view: pg.GraphicsView) -> None:
    """Bring every view box of ``view`` to its new range and transform now, before the frame.

    pyqtgraph applies a pending auto-range while painting (``ViewBox.prepareForPaint``);
    the transform it sets then marks every item dirty again, so each data change cost
    two full paints of the widget. Settled beforehand, the next frame paints once.
    """
    scene = view.scene()
    if scene is not None:
        scene.prepareForPaint()


class PlotLayout(pg.GraphicsLayoutWidget):
    """A grid of plots that settles its view boxes as soon as it is resized, so a resize
    (a note shown above it, a splitter moved) is painted once, not twice (see ``settle``)."""

    def resizeEvent(self, ev: QtGui.QResizeEvent | None) -> None:
        super().resizeEvent(ev)
        settle(self)
