"""Layer 3's entry object: one request in, the smallest set of exchange calls out.

The coordinator answers candles from storage and fetches only what storage lacks
(single flight, pages of 200, concurrency per priority, progress, cancellation),
tickers and orderbooks from the memory cache or a few batched calls, and trades by
cursor pagination. May call: the router (Layer 1) and storage (Layer 2).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from backbone.coordinator.candles import CandleService
from backbone.coordinator.desk import DeskMembership
from backbone.coordinator.progress import ProgressCallback
from backbone.coordinator.quotes import QuoteService
from backbone.coordinator.requests import CandleRequest, CandleResult, Progress, QuoteResult
from backbone.coordinator.trades import TradeService
from backbone.domain.candle_columns import CandleColumns
from backbone.domain.errors import InvalidInputError
from backbone.domain.models import utc_now
from backbone.domain.priority import Priority

if TYPE_CHECKING:
    from backbone.router import SmartRouter
    from backbone.router.scheduler import WaitListener
    from backbone.storage import MarketStore, MemoryCache

class Coordinator:
    """Turns candle, quote and trade requests into few exchange calls, stored and shared.

    When each call goes (order, concurrency, rate tokens) is the router's scheduler's
    decision; the coordinator only says for whom, with a ticket per page. ``clock``
    is this machine's time, used only to place "now" in a request; what is closed
    is decided by the exchange's time.
    """

    def __init__(
        self,
        router: SmartRouter,
        store: MarketStore,
        cache: MemoryCache,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._candles = CandleService(router, store, cache, clock=clock)
        self._quotes = QuoteService(router, cache)
        self._trades = TradeService(router, store)
        self.desk = DeskMembership(router.scheduler, store)

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
        on_wait: WaitListener | None = None,
    ) -> CandleResult:
        """Candles ascending by start, from storage after fetching only what it lacks.

        A range holds every candle whose start lies in ``[start, end)``; "latest N" walks
        back from ``end`` (or now) page by page. The still-forming candle is never
        stored as complete: it comes fresh from the exchange, or from the memory
        cache (kind ``"candle"``) within that cache's time to live.
        ``progress`` receives monotone events, the last one ``done`` at 100%.
        ``before_page`` is awaited before every upstream page. Setting ``cancel``
        stops new exchange calls at once, keeps what was stored and raises
        ``CancelledRequestError``; cancelling the task raises ``CancelledError``.
        ``on_wait(seconds, reason)`` hears when a page waited for the scheduler, and why.
        Exchange and storage failures propagate as ``backbone.domain.errors`` types.
        """
        _check_request(request)
        return await self._candles.get(
            request, progress=progress, before_page=before_page, cancel=cancel, on_wait=on_wait
        )

    def stream_candles(
        self,
        request: CandleRequest,
        *,
        progress: ProgressCallback | None = None,
        before_page: Callable[[], Awaitable[None]] | None = None,
        cancel: asyncio.Event | None = None,
        on_wait: WaitListener | None = None,
    ) -> AsyncIterator[CandleColumns]:
        """Finished, contiguous chunks of candles in ascending time while later pages load.

        Pages are fetched oldest first, a bounded window of them at a time, in the
        scheduler's order. Use ``contextlib.aclosing`` (or exhaust the iterator) so that
        leaving early stops the pages nobody else waits for.
        """
        _check_request(request)
        return self._candles.stream(
            request, progress=progress, before_page=before_page, cancel=cancel, on_wait=on_wait
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
        """Stop candle pages still in flight and leave the desk (idempotent).

        The router and store are the caller's.
        """
        await self._candles.close()
        await self.desk.close()


def _check_request(request: object) -> None:
    if not isinstance(request, CandleRequest):
        raise InvalidInputError(
            "INVALID_INPUT", "request", f"request must be a CandleRequest, got {type(request).__name__}"
        )
