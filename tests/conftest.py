"""Shared fixtures: a real simulator on 127.0.0.1 for every test that talks to "the exchange"."""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest

from backbone.sim import ExchangeSimulator


@pytest.fixture
async def simulator() -> AsyncIterator[ExchangeSimulator]:
    """A started simulator on a free loopback port: ~1 ms latency, no faults, Upbit's limits."""
    sim = ExchangeSimulator(port=0, latency_ms=1.0, jitter_ms=0.5)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
async def make_simulator() -> AsyncIterator[Callable[..., Awaitable[ExchangeSimulator]]]:
    """Factory: ``sim = await make_simulator(latency_ms=0, ban_after_429s=5, ...)``; all stopped after."""
    made: list[ExchangeSimulator] = []

    async def factory(**kwargs: Any) -> ExchangeSimulator:
        kwargs.setdefault("port", 0)
        kwargs.setdefault("latency_ms", 1.0)
        kwargs.setdefault("jitter_ms", 0.5)
        sim = ExchangeSimulator(**kwargs)
        await sim.start()
        made.append(sim)
        return sim

    yield factory
    for sim in made:
        await sim.stop()


@pytest.fixture(autouse=True)
def _qt_garbage_destroyed_between_tests() -> Iterator[None]:
    """Destroy each GUI test's closed widgets and plot items at its own teardown.

    Left to the garbage collector, a pyqtgraph item of an earlier test can be destroyed
    whenever a later test happens to allocate, possibly while a view is painting its
    scene. Deleting them here, between tests, keeps that out of any paint.
    """
    yield
    widgets = sys.modules.get("PyQt6.QtWidgets")
    if widgets is None or widgets.QApplication.instance() is None:
        return
    from PyQt6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    gc.collect()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
