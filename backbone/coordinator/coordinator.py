"""Layer 3's entry object: one request in, the smallest set of exchange calls out.

The coordinator answers candles from storage and fetches only what storage lacks
(single flight, pages of 200, concurrency per priority, progress, cancellation),
tickers and orderbooks from the memory cache or a few batched calls, and trades by
cursor pagination. May call: the router (Layer 1) and storage (Layer 2).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING

from backbone.coordinator.candles import CandleService
from backbone.coordinator.progress import ProgressCallback
from backbone.coordinator.quotes import QuoteService
from backbone.coordinator.requests import CandleRequest, CandleResult, Progress, QuoteResult
from backbone.coordinator.trades import TradeService
from backbone.domain.candle_columns import CandleColumns
from backbone.domain.errors import InvalidInputError
from backbone.domain.priority import Priority

if TYPE_CHECKING:
    from backbone.router import SmartRouter
    from backbone.storage import MarketStore, MemoryCache

# Upstream pages one priority may have in flight at once (LOW gets the least).
DEFAULT_CONCURRENCY: Mapping[Priority, int] = MappingProxyType(
    {Priority.CRITICAL: 8, Priority.HIGH: 6, Priority.NORMAL: 4, Priority.LOW: 2}
)


class Coordinator:
    """Turns candle, quote and trade requests into few exchange calls, stored and shared.

    ``concurrency`` overrides how many upstream calls each priority may run at once
    (defaults: CRITICAL 8, HIGH 6, NORMAL 4, LOW 2); the router still enforces the
    exchange's rate limit and hands tokens out by priority.
    """

    def __init__(
        self,
        router: SmartRouter,
        store: MarketStore,
        cache: MemoryCache,
        *,
        concurrency: Mapping[Priority, int] | None = None,
    ) -> None:
        self._limits = _check_concurrency(concurrency)
        semaphores = {priority: asyncio.Semaphore(n) for priority, n in self._limits.items()}
        self._candles = CandleService(router, store, semaphores, cache)
        self._quotes = QuoteService(router, cache, semaphores)
        self._trades = TradeService(router, store, semaphores)

    @property
    def concurrency(self) -> Mapping[Priority, int]:
        """Upstream calls each priority may have in flight at once."""
        return MappingProxyType(self._limits)

    def inflight_pages(self) -> int:
        """Candle pages being fetched right now (for metrics)."""
        return self._candles.flight.inflight_count()

    async def get_candles(
        self,
        request: CandleRequest,
        *,
        progress: Callable[[Progress], None] | None = None,
        before_page: Callable[[], Awaitable[None]] | None = None,
        cancel: asyncio.Event | None = None,
    ) -> CandleResult:
        """Candles ascending by start, from storage after fetching only what it lacks.

        A range covers every candle overlapping ``[start, end)``; "latest N" walks
        back from ``end`` (or now) page by page. The still-forming candle is never
        stored as complete: it comes fresh from the exchange, or from the memory
        cache (kind ``"candle"``) within that cache's time to live.
        ``progress`` receives monotone events, the last one ``done`` at 100%.
        ``before_page`` is awaited before every upstream page. Setting ``cancel``
        stops new exchange calls at once, keeps what was stored and raises
        ``CancelledRequestError``; cancelling the task raises ``CancelledError``.
        Exchange and storage failures propagate as ``backbone.domain.errors`` types.
        """
        _check_request(request)
        return await self._candles.get(
            request, progress=progress, before_page=before_page, cancel=cancel
        )

    def stream_candles(
        self,
        request: CandleRequest,
        *,
        progress: ProgressCallback | None = None,
        before_page: Callable[[], Awaitable[None]] | None = None,
        cancel: asyncio.Event | None = None,
    ) -> AsyncIterator[CandleColumns]:
        """Finished, contiguous chunks of candles in ascending time while later pages load.

        Pages are fetched oldest first with lookahead up to the priority's
        concurrency. Use ``contextlib.aclosing`` (or exhaust the iterator) so that
        leaving early stops the pages nobody else waits for.
        """
        _check_request(request)
        return self._candles.stream(
            request, progress=progress, before_page=before_page, cancel=cancel
        )

    async def get_tickers(
        self, markets: Sequence[str], *, priority: Priority = Priority.NORMAL
    ) -> QuoteResult:
        """Tickers in the order asked: cached within the freshness budget, else few batched calls."""
        return await self._quotes.tickers(markets, priority)

    async def get_orderbooks(
        self, markets: Sequence[str], *, priority: Priority = Priority.NORMAL
    ) -> QuoteResult:
        """Orderbooks in the order asked: cached within the freshness budget, else batched calls."""
        return await self._quotes.orderbooks(markets, priority)

    async def get_trades(
        self,
        market: str,
        *,
        count: int | None = None,
        start: datetime | None = None,
        priority: Priority = Priority.NORMAL,
    ) -> QuoteResult:
        """The latest ``count`` trades and/or every trade since ``start`` (within 7 days).

        Ascending by time, no duplicates, stored as they arrive. With neither,
        the latest 100.
        """
        return await self._trades.trades(market, count=count, start=start, priority=priority)

    async def close(self) -> None:
        """Stop candle pages still in flight (idempotent); the router and store are the caller's."""
        await self._candles.close()


def _check_request(request: object) -> None:
    if not isinstance(request, CandleRequest):
        raise InvalidInputError(
            "INVALID_INPUT", "request", f"request must be a CandleRequest, got {type(request).__name__}"
        )


def _check_concurrency(concurrency: Mapping[Priority, int] | None) -> dict[Priority, int]:
    limits = dict(DEFAULT_CONCURRENCY)
    for key, value in (concurrency or {}).items():
        try:
            priority = Priority.parse(key)
        except ValueError as exc:
            raise InvalidInputError("INVALID_PRIORITY", "concurrency", str(exc)) from None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidInputError(
                "INVALID_CONCURRENCY",
                "concurrency",
                f"concurrency[{priority.value}] must be a whole number >= 1, got {value!r}",
            )
        limits[priority] = value
    return limits
