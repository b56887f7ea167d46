"""The backtest panel's presenter: the only part of it that talks to the backbone.

Calls: ``list_markets(priority=HIGH)`` for the market search,
``metrics_snapshot()`` for the candle group's page rate (to size a load before it
starts), ``new_request_id()``, ``stream_candle_columns(..., priority=LOW,
progress=..., request_id=...)`` for the history, and ``cancel(id)``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from backbone import CandleColumns, Priority
from ui.models.backtest.plan import LoadPlan, plan_load
from ui.models.backtest.settings import BacktestSettings
from ui.timeframes import timeframe_seconds

if TYPE_CHECKING:
    from backbone import MarketDataBackbone

PRIORITY = Priority.LOW
FALLBACK_PAGES_PER_S = 10.0  # Upbit's candle group limit, when the backbone has not said yet


class BacktestPresenter:
    """History for one run at a time, as candle columns, with progress and cancel."""

    def __init__(self, backbone: MarketDataBackbone) -> None:
        self.backbone = backbone
        self.request_id: str | None = None

    async def markets(self) -> list[dict[str, Any]]:
        """The exchange's markets (empty when the list cannot be had)."""
        response = await self.backbone.list_markets(priority=Priority.HIGH)
        return list(response.data) if response.success else []

    def pages_per_s(self) -> float:
        """Pages a second this app may spend on candles, the CRITICAL reserve left aside."""
        budget = self.backbone.metrics_snapshot().rate_budget.get("candle") or {}
        rate = float(budget.get("limit_per_s", 0.0)) - float(budget.get("reserve", 0.0))
        return rate if rate > 0 else FALLBACK_PAGES_PER_S

    def plan(self, settings: BacktestSettings) -> LoadPlan:
        """The most the run's history load can cost."""
        return plan_load(settings.start, settings.end, timeframe_seconds(settings.timeframe), self.pages_per_s())

    async def candles(
        self, settings: BacktestSettings, on_progress: Callable[[Any], None]
    ) -> AsyncIterator[CandleColumns]:
        """The run's candles as ascending column chunks, while later ones load (LOW)."""
        self.request_id = self.backbone.new_request_id()
        try:
            stream = self.backbone.stream_candle_columns(
                settings.market, settings.timeframe, start_time=settings.start, end_time=settings.end,
                priority=PRIORITY, progress=on_progress, request_id=self.request_id,
            )
            async for chunk in stream:
                yield chunk
        finally:
            self.request_id = None

    def cancel(self) -> None:
        """Stop the load's further exchange calls (what is stored stays)."""
        if self.request_id is not None:
            self.backbone.cancel(self.request_id)
