"""The light theme restyles every plot on screen, whichever panel made it, and back."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
import pytest
from PyQt6 import QtWidgets

from ui.plots import legend_above
from ui.theme import apply_theme, plot_colours


def test_switching_theme_restyles_plots_already_on_screen(qtbot: Any) -> None:
    app = QtWidgets.QApplication.instance()
    assert isinstance(app, QtWidgets.QApplication)
    apply_theme(app, "dark")
    single = pg.PlotWidget(title="Equity")
    single.setLabel("left", "price")
    legend = legend_above(single.getPlotItem())
    single.plot([1, 2, 3], name="strategy")
    layout = pg.GraphicsLayoutWidget()
    layout.addPlot(row=0, col=0)
    for widget in (single, layout):
        qtbot.addWidget(widget)
        widget.show()
    try:
        apply_theme(app, "light")
        background, foreground = plot_colours("light")
        for widget in (single, layout):
            assert widget.backgroundBrush().color().name() == background
        axis = single.getPlotItem().getAxis("left")
        assert axis.textPen().color().name() == foreground
        assert foreground in axis.label.toHtml()
        assert single.getPlotItem().titleLabel.opts["color"] == foreground
        assert legend.opts["labelTextColor"] is not None
        assert pg.mkColor(legend.opts["labelTextColor"]).name() == foreground
        # A plot made after the switch starts light too.
        later = pg.PlotWidget()
        qtbot.addWidget(later)
        assert later.backgroundBrush().color().name() == background
    finally:
        apply_theme(app, "dark")
    assert single.backgroundBrush().color().name() == plot_colours("dark")[0]


def test_an_unknown_theme_names_the_choices() -> None:
    with pytest.raises(ValueError, match="dark, light"):
        plot_colours("pink")
