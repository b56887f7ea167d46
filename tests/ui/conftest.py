"""GUI tests run on a qasync loop (Qt and asyncio together) against a backbone on the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from PyQt6.QtCore import QSettings

from app.panels import Panels, build_panels
from backbone import LoadSample, MarketDataBackbone
from backbone.sim import ExchangeSimulator
from tests.qt_loop import qt_loop_factories
from ui.main_window import MainWindow

pytest_asyncio_loop_factories = qt_loop_factories


@pytest.fixture
async def backbone(simulator: ExchangeSimulator, tmp_path: Path) -> AsyncIterator[MarketDataBackbone]:
    """A started backbone on the test simulator with a fresh SQLite file."""
    bb = MarketDataBackbone(
        simulator.rest_url, simulator.ws_url, str(tmp_path / "ui.sqlite"), load_sampler=calm_machine
    )
    await bb.start()
    try:
        yield bb
    finally:
        await bb.stop()


def calm_machine() -> LoadSample:
    """A quiet machine: LOW work is admitted however busy the test runner is (tests that
    are about deferral pass their own reading)."""
    return LoadSample(5.0, 30.0)


async def wait_until(condition: Callable[[], bool], within: float = 10.0, step: float = 0.02) -> None:
    """Await (keeping the loop running) until ``condition()`` holds; fail after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(step)


def app_window(qtbot: Any, backbone: MarketDataBackbone, settings: QSettings | None = None) -> tuple[MainWindow, Panels]:
    """Every panel on ``backbone`` in a shown main window (panels not started)."""
    panels = build_panels(backbone)
    window = MainWindow(backbone, "SIMULATED DATA", panels.tabs, settings=settings)
    qtbot.addWidget(window)
    window.show()
    return window, panels
