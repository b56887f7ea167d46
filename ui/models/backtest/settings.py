"""A backtest request, validated: market, timeframe, KST day range, strategy, parameters, fee."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from backbone.domain.clock import KST
from ui.models.backtest.strategies import STRATEGIES, Strategy


@dataclass(frozen=True, slots=True)
class BacktestSettings:
    """A validated backtest request. Times are aware (KST midnight boundaries)."""

    market: str
    timeframe: str
    start: datetime
    end: datetime
    strategy: Strategy
    parameters: dict[str, float]
    fee: float  # fraction per trade side


def make_settings(
    market: str | None,
    market_text: str,
    timeframe: str,
    start_day: date,
    end_day: date,
    strategy_key: str,
    values: Mapping[str, float],
    fee_percent: float,
    now: datetime | None = None,
) -> BacktestSettings:
    """The settings from the form's values; ValueError with a message naming the bad field.

    ``market`` is the resolved market code (None when ``market_text`` names none); the
    end day is inclusive and is cut at ``now``.
    """
    if market is None:
        raise ValueError(
            f"Market: unknown market {market_text.strip() or '(empty)'!r}; "
            "enter a listed market such as KRW-BTC."
        )
    if end_day < start_day:
        raise ValueError(
            f"End date {end_day:%Y-%m-%d} is before the start date {start_day:%Y-%m-%d}; "
            "pick an end on or after the start."
        )
    start = datetime(start_day.year, start_day.month, start_day.day, tzinfo=KST)
    end = datetime(end_day.year, end_day.month, end_day.day, tzinfo=KST) + timedelta(days=1)
    now = now or datetime.now(KST)
    if start >= now:
        raise ValueError(f"Start date {start_day:%Y-%m-%d} is in the future; pick a past date.")
    strategy = STRATEGIES[strategy_key]
    return BacktestSettings(
        market, timeframe, start, min(end, now), strategy, strategy.validate(values), fee_percent / 100.0
    )
