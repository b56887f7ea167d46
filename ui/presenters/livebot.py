"""The live-bot panel's presenter: CRITICAL quotes for the watchlist and the backbone's figure.

Calls: ``list_markets(priority=HIGH)`` once (a directory lookup, not trading data),
``get_ticker_data([market], priority=CRITICAL)`` per watched market and round, and
``metrics_snapshot()`` for the recent CRITICAL figure every view shares. While the bot
watches markets it holds the backbone's CRITICAL reserve (``hold_critical_reserve()``),
so a backfill running beside it cannot spend the calls its next request needs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from backbone import Priority
from ui.models.livebot import critical_summary, data_age_ms

if TYPE_CHECKING:
    from backbone import MarketDataBackbone, ReserveLease

PRIORITY = Priority.CRITICAL


@dataclass(frozen=True, slots=True)
class Quote:
    """One CRITICAL answer for one market, with both honest timings."""

    market: str
    price: float  # nan when the request failed
    trade_ms: int
    request_ms: float  # in-process: from asking the backbone to its answer
    data_age_ms: float  # now minus the exchange's timestamp on the quote (nan without one)
    channel: str
    error: str | None = None


class LiveBotPresenter:
    """Asks the backbone for the watchlist's quotes at CRITICAL priority."""

    def __init__(self, backbone: MarketDataBackbone) -> None:
        self.backbone = backbone
        self._reserve: ReserveLease | None = None

    @property
    def watching(self) -> bool:
        """True between :meth:`start_watching` and :meth:`stop_watching`."""
        return self._reserve is not None

    async def start_watching(self) -> None:
        """Hold the CRITICAL reserve for the bot and wait until bulk work has left it free."""
        if self._reserve is None:
            lease = self.backbone.hold_critical_reserve()
            self._reserve = lease
            await lease.ready()

    def stop_watching(self) -> None:
        """Give the reserve back to bulk work (idempotent)."""
        reserve, self._reserve = self._reserve, None
        if reserve is not None:
            reserve.release()

    async def markets(self) -> set[str]:
        """Every listed market code (empty when the list cannot be had)."""
        response = await self.backbone.list_markets(priority=Priority.HIGH)
        return {m["market"] for m in response.data} if response.success else set()

    async def quote(self, market: str) -> Quote:
        """The market's ticker now."""
        response = await self.backbone.get_ticker_data([market], priority=PRIORITY)
        meta = response.metadata
        channel = meta.channel or meta.path_taken
        if not response.success or not response.data:
            return Quote(market, math.nan, 0, float(meta.processing_time_ms), math.nan, channel,
                         response.error or "no data")
        ticker = response.data[0]
        return Quote(
            market, float(ticker["trade_price"]), int(ticker.get("trade_timestamp", 0)),
            float(meta.processing_time_ms), data_age_ms(ticker, int(time.time() * 1000)), channel,
        )

    def summary(self) -> str:
        """The headline: the backbone's recent CRITICAL figure (the status bar's and the monitor's)."""
        return critical_summary(self.backbone.metrics_snapshot())
