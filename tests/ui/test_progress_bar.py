"""Progress during a long load is painted with the window's next frame, never inside the report.

A synchronous repaint of the bar flushes every pending paint of the window, so
each progress event of a backtest's load used to redraw the result plots inside
the loop callback that reported it: the window froze on every page.
"""

from __future__ import annotations

import asyncio
from typing import Any

from PyQt6 import QtCore, QtWidgets

from backbone import MarketDataBackbone
from tests.ui.conftest import wait_until
from ui.backtest.panel import BacktestPanel


class PaintCounter(QtCore.QObject):
    """Counts the paint events a widget receives."""

    def __init__(self, widget: QtWidgets.QWidget) -> None:
        super().__init__(widget)
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched: QtCore.QObject | None, event: QtCore.QEvent | None) -> bool:
        if event is not None and event.type() == QtCore.QEvent.Type.Paint:
            self.count += 1
        return False


async def test_a_progress_step_is_painted_with_the_next_frame_not_inside_the_report(
    qtbot: Any, backbone: MarketDataBackbone
) -> None:
    panel = BacktestPanel(backbone)
    qtbot.addWidget(panel)
    panel.show()
    await wait_until(panel.isVisible)
    await asyncio.sleep(0.05)  # its first frame is painted
    bar = panel.progress
    paints = PaintCounter(bar)
    shown: list[int] = []
    bar.valueChanged.connect(shown.append)

    bar.setValue(40)

    assert shown == [40] and bar.value() == 40
    assert paints.count == 0  # nothing was painted inside the call
    await wait_until(lambda: paints.count >= 1)  # the next frame shows it
    assert bar.text() == "40%"
