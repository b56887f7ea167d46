"""The contract between the main window and its tabs: start, stop, readiness, export rows.

The shell (``app.panels``, ``ui.main_window``, the screenshot runner) speaks to every tab
through this protocol only, never by probing for methods. A panel that has nothing to
export says so by returning ``None`` from :meth:`Panel.export_rows`.
"""

from __future__ import annotations

import math
from typing import Any, Protocol, runtime_checkable

ExportRows = tuple[list[str], list[list[Any]]]
"""A header and its rows; cells are numbers and times as values, not display strings."""


def export_cell(value: Any) -> Any:
    """A value as an export cell: numbers stay numbers, an unknown figure (NaN) is left empty."""
    return None if isinstance(value, float) and math.isnan(value) else value


@runtime_checkable
class Panel(Protocol):
    """What every tab of the main window provides."""

    def start(self) -> None:
        """Begin the panel's background work (called once the event loop runs)."""

    async def stop(self) -> None:
        """Stop timers, tasks and subscriptions, before the backbone closes."""

    def is_ready(self) -> bool:
        """True once the panel shows real data (screenshots wait for it)."""

    def export_rows(self) -> ExportRows | None:
        """What File → Export writes for this tab, or ``None`` when it has nothing to export."""


_PANEL_METHODS = ("start", "stop", "is_ready", "export_rows")


def require_panel(title: str, widget: object) -> Panel:
    """``widget`` as a :class:`Panel`, or a TypeError naming the tab and what it lacks."""
    if isinstance(widget, Panel):
        return widget
    missing = ", ".join(name for name in _PANEL_METHODS if not callable(getattr(widget, name, None)))
    raise TypeError(f"tab {title!r} ({type(widget).__name__}) is not a Panel: it lacks {missing}")
