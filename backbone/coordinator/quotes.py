"""Tickers and orderbooks for many markets in as few exchange calls as possible.

Fresh values come from the memory cache. What is missing goes upstream in one
call where possible: a single ``/ticker/all`` when more tickers are wanted than one
``markets=`` call may carry, otherwise ``markets=`` batches of at most
``QUOTE_BATCH`` codes. A set that fits in one call is routed through the router,
which answers from a live WebSocket snapshot when one is fresh. Every answer
refreshes the cache, including markets nobody asked for yet.
May call: the router and the memory cache.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from backbone.coordinator.requests import QuoteResult, normalise_markets, parse_priority
from backbone.domain.errors import InvalidInputError
from backbone.domain.priority import Priority
from backbone.domain.vocabulary import BAD_MARKET

if TYPE_CHECKING:
    from backbone.router import SmartRouter
    from backbone.storage import MemoryCache

QUOTE_BATCH = 100  # markets per ``markets=`` call: keeps the URL well under common limits

Fetch = Callable[[], Awaitable[tuple[list[Any], int]]]


class QuoteService:
    """Tickers and orderbooks, cached per market within the cache's freshness budget."""

    def __init__(
        self,
        router: SmartRouter,
        cache: MemoryCache,
    ) -> None:
        self._router = router
        self._cache = cache

    async def tickers(self, markets: Sequence[str], priority: Priority) -> QuoteResult:
        """Tickers of ``markets`` in the order asked; see ``Coordinator.get_tickers``."""
        return await self._quotes("ticker", markets, priority)

    async def orderbooks(self, markets: Sequence[str], priority: Priority) -> QuoteResult:
        """Orderbooks of ``markets`` in the order asked; see ``Coordinator.get_orderbooks``."""
        return await self._quotes("orderbook", markets, priority)

    async def _quotes(self, kind: str, markets: Sequence[str], priority: Priority) -> QuoteResult:
        wanted = normalise_markets(markets)
        priority = parse_priority(priority)
        found: dict[str, Any] = {}
        for market in wanted:
            value = self._cache.get(kind, market)
            if value is not None:
                found[market] = value
        missing = [market for market in wanted if market not in found]
        if not missing:
            return QuoteResult(data=[found[m] for m in wanted], upstream_calls=0, cache_hit=True)
        fetches = self._plan(kind, missing, priority)
        answers = await asyncio.gather(*(fetch() for fetch in fetches))
        calls = 0
        for values, spent in answers:
            calls += spent
            for value in values:
                self._cache.put(kind, value.market, value)
                if value.market in wanted and value.market not in found:
                    found[value.market] = value
        unknown = [market for market in wanted if market not in found]
        if unknown:
            raise InvalidInputError(
                BAD_MARKET, "markets", f"the exchange has no {kind} for market(s) {', '.join(unknown)}; see list_markets()"
            )
        return QuoteResult(data=[found[m] for m in wanted], upstream_calls=calls, cache_hit=calls == 0)

    def _plan(self, kind: str, missing: list[str], priority: Priority) -> list[Fetch]:
        router = self._router
        if len(missing) <= QUOTE_BATCH:
            async def routed() -> tuple[list[Any], int]:
                answer = await router.request(kind, missing, priority=priority)
                return list(answer.data), answer.upstream_calls

            return [routed]
        if kind == "ticker":
            # More than one batch: every market of those quotes in one call is cheaper.
            quotes = sorted({market.split("-", 1)[0] for market in missing})

            async def everything() -> tuple[list[Any], int]:
                return await router.fetch_all_tickers(quotes, priority=priority), 1

            return [everything]
        batches = [missing[i : i + QUOTE_BATCH] for i in range(0, len(missing), QUOTE_BATCH)]
        return [self._orderbook_batch(batch, priority) for batch in batches]

    def _orderbook_batch(self, batch: list[str], priority: Priority) -> Fetch:
        async def fetch() -> tuple[list[Any], int]:
            return await self._router.fetch_orderbooks(batch, priority=priority), 1

        return fetch
