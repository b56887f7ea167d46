"""Plot habits shared by the panels' pyqtgraph plots: legends that never cover a curve,
value axes that read sensibly when every value is zero, and one paint per change."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PyQt6 import QtGui, QtWidgets

_TOP_AXIS_ROW = 1  # PlotItem's layout: title, top axis, view box row, bottom axis, x label
_VIEW_COLUMN = 1
_EDGE_SLACK = 1.0  # px around a plot's cell that its items still paint (edge lines round onto them)


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


class ClippedPlotItem(pg.PlotItem):
    """A plot that paints its axes, grid lines and view clipped to its own cell.

    Qt's raster engine strokes a translucent cosmetic line (every grid line) pixel by
    pixel unless the painter clips to a rectangle, and span by span, ten times faster,
    when it does: unclipped, the grid was three quarters of painting the backtest's
    three plots. The clip (the plot's shape) is its cell with a pixel of slack, for
    lines lying on the edge, and reaches as far as its axis titles do: a title longer
    than a short plot is tall still overhangs the neighbours, as pyqtgraph draws it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape)

    def shape(self) -> QtGui.QPainterPath:
        reach = self.boundingRect().adjusted(-_EDGE_SLACK, -_EDGE_SLACK, _EDGE_SLACK, _EDGE_SLACK)
        for side in ("left", "bottom", "right", "top"):
            title = self.getAxis(side).label
            if title.isVisible():
                reach = reach.united(self.mapRectFromItem(title, title.boundingRect()))
        outline = QtGui.QPainterPath()
        outline.addRect(reach)
        return outline


class PlotLayout(pg.GraphicsLayoutWidget):
    """A grid of plots (``add_plot``: clipped plots) that repaints as a whole and settles its
    view boxes as soon as it is resized.

    A change repaints one rectangle, the viewport (Qt's fast clipped path needs the
    clip rectangular, and pyqtgraph's minimal updates make it a union of pieces);
    every change here moves a range and repaints the plots whole anyway. A resize (a
    note shown above it, a splitter moved) is painted once, not twice (see ``settle``).
    """

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewportUpdateMode(QtWidgets.QGraphicsView.ViewportUpdateMode.FullViewportUpdate)

    def add_plot(self, row: int, column: int, **kwargs: Any) -> ClippedPlotItem:
        """A ``ClippedPlotItem`` (``PlotItem``'s keywords) in the cell at ``row``, ``column``."""
        plot = ClippedPlotItem(**kwargs)
        self.ci.addItem(plot, row, column)
        return plot

    def resizeEvent(self, ev: QtGui.QResizeEvent | None) -> None:
        super().resizeEvent(ev)
        settle(self)
