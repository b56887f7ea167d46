"""Style sheets and the app icon from ``resources/``."""

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


def apply_theme(app: QtWidgets.QApplication, name: str = "dark") -> None:
    """Style the whole app and pyqtgraph's defaults (set before plots are created)."""
    app.setStyleSheet(stylesheet(name))
    background, foreground = _PLOT_COLOURS[name]
    pg.setConfigOptions(background=background, foreground=foreground, antialias=False)


def app_icon() -> QtGui.QIcon:
    """The application icon (SVG)."""
    return QtGui.QIcon(str(RESOURCES / "icon.svg"))
