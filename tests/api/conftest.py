"""A backbone on the simulator and a fresh SQLite file, per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from backbone import LoadSample, MarketDataBackbone
from backbone.sim import ExchangeSimulator


@pytest.fixture
async def make_backbone(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[MarketDataBackbone]]]:
    """Factory: a started backbone on a given simulator (stopped after the test)."""
    made: list[MarketDataBackbone] = []

    async def make(sim: ExchangeSimulator, **kwargs: Any) -> MarketDataBackbone:
        db = kwargs.pop("db_url", str(tmp_path / f"cache-{len(made)}.sqlite"))
        # A busy test runner must not defer LOW work; deferral tests pass their own reading.
        kwargs.setdefault("load_sampler", lambda: LoadSample(5.0, 30.0))
        backbone = MarketDataBackbone(sim.rest_url, sim.ws_url, db, **kwargs)
        await backbone.start()
        made.append(backbone)
        return backbone

    yield make
    for backbone in made:
        await backbone.stop()


@pytest.fixture
async def backbone(simulator: ExchangeSimulator, make_backbone: Any) -> MarketDataBackbone:
    """A started backbone on the default test simulator."""
    return await make_backbone(simulator)


@pytest.fixture
def simulator_in_thread() -> Any:
    """A simulator on its own event loop thread, for code that blocks (sync facades)."""
    import asyncio
    import threading

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    sim = ExchangeSimulator(port=0, latency_ms=1, jitter_ms=0)
    asyncio.run_coroutine_threadsafe(sim.start(), loop).result(30)
    yield sim
    asyncio.run_coroutine_threadsafe(sim.stop(), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
