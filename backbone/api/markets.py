"""The exchange's market list, cached, so symbols can be checked without a call per request."""

from __future__ import annotations

import logging
import time

from backbone.domain.errors import BackboneError
from backbone.domain.models import Market
from backbone.domain.priority import Priority
from backbone.router import SmartRouter

log = logging.getLogger(__name__)


class MarketCatalogue:
    """Markets as ``/market/all`` lists them, refreshed when older than ``max_age_s``."""

    def __init__(self, router: SmartRouter, max_age_s: float = 600.0) -> None:
        self._router = router
        self._max_age_s = max_age_s
        self._markets: dict[str, Market] = {}
        self._loaded_at = -1e18

    @property
    def codes(self) -> frozenset[str]:
        """Every known market code; empty until the first successful load."""
        return frozenset(self._markets)

    def markets(self, quote: str | None = None) -> list[Market]:
        """Known markets, optionally of one quote currency, in the exchange's order."""
        if quote is None:
            return list(self._markets.values())
        return [m for m in self._markets.values() if m.quote == quote.upper()]

    @property
    def stale(self) -> bool:
        return time.monotonic() - self._loaded_at > self._max_age_s

    async def refresh(self, priority: Priority = Priority.HIGH) -> list[Market]:
        """Load the list from the exchange (one ``market`` group call)."""
        markets = await self._router.fetch_markets(details=True, priority=priority)
        self._markets = {m.market: m for m in markets}
        self._loaded_at = time.monotonic()
        return markets

    async def ensure(self) -> None:
        """Refresh when stale; keep the old list (and log) when the exchange is unreachable."""
        if not self.stale:
            return
        try:
            await self.refresh()
        except BackboneError as error:
            log.warning("market list not refreshed: %s", error)
            # Try again in a minute rather than on every request.
            self._loaded_at = time.monotonic() - self._max_age_s + 60.0
