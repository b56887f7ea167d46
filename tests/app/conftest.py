"""GUI tests run on a qasync loop, so Qt timers and signals work while a test awaits."""

from __future__ import annotations

from typing import Any

import qasync
from PyQt6.QtWidgets import QApplication


def _qt_loop() -> qasync.QEventLoop:
    app = QApplication.instance() or QApplication([])
    # Closing a test's window must not quit the loop the next test runs on.
    app.setQuitOnLastWindowClosed(False)
    return qasync.QEventLoop(app)


def pytest_asyncio_loop_factories(config: Any, item: Any) -> dict[str, Any]:
    return {"qt": _qt_loop}
