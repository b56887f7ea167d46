"""The event loop GUI tests run on: qasync over the one QApplication, so Qt timers and
signals work while a test awaits."""

from __future__ import annotations

from typing import Any

import qasync
from PyQt6.QtWidgets import QApplication


def qt_event_loop() -> qasync.QEventLoop:
    app = QApplication.instance() or QApplication([])
    # Closing a test's window must not quit the loop the next test runs on.
    app.setQuitOnLastWindowClosed(False)
    return qasync.QEventLoop(app)


def qt_loop_factories(config: Any, item: Any) -> dict[str, Any]:
    """For ``pytest_asyncio_loop_factories`` in a GUI test folder's conftest."""
    return {"qt": qt_event_loop}
