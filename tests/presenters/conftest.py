"""Presenter tests run on plain asyncio, without a QApplication, against a backbone on the simulator."""

from __future__ import annotations

from tests.api.conftest import backbone, make_backbone

__all__ = ["backbone", "make_backbone"]
