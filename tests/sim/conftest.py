"""Helpers for the simulator's own tests: one aiohttp client session per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest


class Http:
    """A thin JSON client over a real aiohttp session."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def get(self, url: str, **params: Any) -> tuple[int, Any, dict[str, str]]:
        async with self.session.get(url, params=params or None) as response:
            body = await response.json(content_type=None)
            return response.status, body, dict(response.headers)

    async def ok(self, url: str, **params: Any) -> Any:
        status, body, _ = await self.get(url, **params)
        assert status == 200, (url, params, body)
        return body


@pytest.fixture
async def http() -> AsyncIterator[Http]:
    async with aiohttp.ClientSession() as session:
        yield Http(session)
