"""Fixtures for the coordinator: a real router on the simulator, a real SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from backbone.coordinator import Coordinator
from backbone.router import SmartRouter
from backbone.storage import MarketStore, MemoryCache


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[MarketStore]:
    market_store = MarketStore(str(tmp_path / "market.db"))
    await market_store.open()
    yield market_store
    await market_store.close()


@pytest.fixture
async def router(simulator: Any) -> AsyncIterator[SmartRouter]:
    smart_router = SmartRouter(simulator.rest_url, simulator.ws_url)
    await smart_router.start()
    yield smart_router
    await smart_router.stop()


@pytest.fixture
def cache() -> MemoryCache:
    return MemoryCache()


@pytest.fixture
async def coordinator(router: SmartRouter, store: MarketStore, cache: MemoryCache) -> AsyncIterator[Coordinator]:
    coord = Coordinator(router, store, cache)
    yield coord
    await coord.close()
