"""Fills a list of markets from the backbone: the listing once, then tickers every few seconds.

Both the Markets tab (NORMAL) and the Screener (HIGH) use it, with their own priority
and interval. It calls ``list_markets`` and ``get_ticker_data`` on the backbone's
public API and nothing else; the widget hears back through :class:`MarketListListener`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Protocol

from backbone import MarketDataBackbone, Priority
from ui.models.market_list import MarketRows


class MarketListListener(Protocol):
    """What the widget is told: the listing arrived, prices refreshed, or a call failed."""

    def listed_markets(self, markets: int) -> None: ...
    def prices_refreshed(self, changed: int, elapsed_ms: float) -> None: ...
    def failed(self, message: str) -> None: ...


@dataclass(slots=True)
class MarketListPresenter:
    """Keeps ``rows`` in step with the exchange for one panel."""

    backbone: MarketDataBackbone
    rows: MarketRows
    listener: MarketListListener
    priority: Priority
    interval_s: float
    refreshes: int = 0

    async def load_markets(self) -> bool:
        """Add every market the exchange lists to the rows. True on success."""
        response = await self.backbone.list_markets(priority=self.priority)
        if not response.success:
            self.listener.failed(f"Could not load the market list: {response.error}")
            return False
        self.rows.add_markets(response.data)
        self.listener.listed_markets(len(self.rows))
        return True

    async def refresh(self) -> bool:
        """One ticker refresh of every row, in place, after the listing if none came yet.
        True on success."""
        if not self.rows and not await self.load_markets():
            return False
        started = time.perf_counter()
        response = await self.backbone.get_ticker_data(self.rows.markets(), priority=self.priority)
        if not response.success:
            self.listener.failed(f"Refresh failed: {response.error}")
            return False
        changed = self.rows.update_tickers(response.data)
        self.refreshes += 1
        self.listener.prices_refreshed(changed, (time.perf_counter() - started) * 1000)
        return True

    async def run(self) -> None:
        """Load the listing (retrying until it arrives), then refresh every ``interval_s``."""
        while True:
            await self.refresh()
            await asyncio.sleep(self.interval_s)
