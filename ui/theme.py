"""Themes: the Qt style sheets from ``resources/``, the matching pyqtgraph colours, and the app icon.

Switching the theme restyles every plot already on screen (background, axes, titles,
legends), whichever panel owns it, and sets pyqtgraph's defaults for plots made later.
"""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PyQt6 import QtGui, QtWidgets

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
THEMES = ("dark", "light")

_PLOT_COLOURS = {"dark": ("#16191d", "#aab2bc"), "light": ("#ffffff", "#3d4852")}


def stylesheet(name: str = "dark") -> str:
    """The Qt style sheet text of a theme; ValueError naming the themes otherwise."""
    if name not in THEMES:
        raise ValueError(f"theme {name!r} is not one of: {', '.join(THEMES)}")
    return (RESOURCES / f"{name}.qss").read_text(encoding="utf-8")


def plot_colours(name: str) -> tuple[str, str]:
    """(background, foreground) of a theme's plots; ValueError naming the themes otherwise."""
    if name not in THEMES:
        raise ValueError(f"theme {name!r} is not one of: {', '.join(THEMES)}")
    return _PLOT_COLOURS[name]


def apply_theme(app: QtWidgets.QApplication, name: str = "dark") -> None:
    """Style the whole app: widgets, every pyqtgraph plot on screen, and pyqtgraph's defaults."""
    app.setStyleSheet(stylesheet(name))
    background, foreground = plot_colours(name)
    pg.setConfigOptions(background=background, foreground=foreground, antialias=False)
    for widget in app.allWidgets():
        if isinstance(widget, pg.GraphicsView):
            restyle_plot_widget(widget, background, foreground)


def restyle_plot_widget(view: pg.GraphicsView, background: str, foreground: str) -> None:
    """Recolour one plot widget's background, axes, titles and legends."""
    view.setBackground(background)
    scene = view.scene()
    if scene is None:
        return
    for item in scene.items():
        if isinstance(item, pg.AxisItem):
            item.setPen(foreground)
            item.setTextPen(foreground)
            if item.label is not None:
                item.labelStyle = {**item.labelStyle, "color": foreground}
                item._updateLabel()
        elif isinstance(item, pg.LegendItem):
            item.setLabelTextColor(foreground)
        elif isinstance(item, pg.LabelItem) and not isinstance(item.parentItem(), pg.LegendItem):
            item.setText(item.text, color=foreground)


def app_icon() -> QtGui.QIcon:
    """The application icon (SVG)."""
    return QtGui.QIcon(str(RESOURCES / "icon.svg"))
