"""The event loop GUI tests run on: qasync over the one QApplication, so Qt timers and
signals work while a test awaits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import qasync
from PyQt6.QtWidgets import QApplication


class _TestEventLoop(qasync.QEventLoop):
    """qasync's loop, with every callback run as if the loop were running.

    pytest-qt processes Qt events between a test's body and its fixtures' teardown,
    outside any asyncio run. qasync dispatches asyncio callbacks from Qt timers, so a
    task woken then (a WebSocket reader, say) would step with no running loop, and
    its asyncio.Event or Future would fail or bind to no loop; the backbone fixture's
    teardown then raised "bound to a different event loop" at random.
    """

    def _add_callback(self, handle: asyncio.Handle, delay: float = 0) -> asyncio.Handle:
        handle._callback = _in_loop(self, handle._callback)  # type: ignore[attr-defined]
        return super()._add_callback(handle, delay)


def _in_loop(loop: asyncio.AbstractEventLoop, callback: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any) -> Any:
        if asyncio.events._get_running_loop() is not None:
            return callback(*args)
        asyncio.events._set_running_loop(loop)
        try:
            return callback(*args)
        finally:
            asyncio.events._set_running_loop(None)

    return run


def qt_event_loop() -> qasync.QEventLoop:
    app = QApplication.instance() or QApplication([])
    # Closing a test's window must not quit the loop the next test runs on.
    app.setQuitOnLastWindowClosed(False)
    return _TestEventLoop(app)


def qt_loop_factories(config: Any, item: Any) -> dict[str, Any]:
    """For ``pytest_asyncio_loop_factories`` in a GUI test folder's conftest."""
    return {"qt": qt_event_loop}
