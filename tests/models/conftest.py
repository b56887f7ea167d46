"""Models and presenters are tested on a plain asyncio loop: no QApplication, no Qt event loop."""

from tests.ui.conftest import backbone

__all__ = ["backbone"]
