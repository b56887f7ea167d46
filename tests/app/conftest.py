"""App tests drive the real window, so they run on the Qt event loop."""

from tests.qt_loop import qt_loop_factories as pytest_asyncio_loop_factories

__all__ = ["pytest_asyncio_loop_factories"]
