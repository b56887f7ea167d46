"""Frozen request, result and progress types the coordinator accepts and returns.

Requests validate themselves on construction, so a bad value fails at the door with an
``InvalidInputError`` naming the field, before any storage or exchange work starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Union

from backbone.domain.candle_columns import CandleColumns
from backbone.domain.candle_range import check_time_span
from backbone.domain.errors import InvalidInputError
from backbone.domain.models import Orderbook, Ticker, Trade
from backbone.domain.priority import Priority
from backbone.domain.timeframes import Timeframe, parse_timeframe
from backbone.domain.vocabulary import parse_count, parse_market, parse_markets, require_time

Quote = Union[Ticker, Orderbook, Trade]  # noqa: UP007 - a runtime alias, kept readable


@dataclass(frozen=True, slots=True)
class CandleRequest:
    """What a caller wants: the latest ``count`` candles (up to ``end`` or now) or a range.

    Give either ``count`` (optionally with ``end``) or ``start`` (optionally with
    ``end``; ``end`` defaults to now). A range holds every candle whose start lies
    in ``[start, end)`` (``backbone.domain.candle_range``). ``timeframe`` and ``priority`` also accept their
    text forms (``"1m"``, ``"low"``); ``market`` is upper-cased.
    """

    market: str
    timeframe: Timeframe
    count: int | None = None
    start: datetime | None = None
    end: datetime | None = None
    priority: Priority = Priority.NORMAL
    fill_gaps: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "market", normalise_market(self.market, "market"))
        object.__setattr__(self, "timeframe", parse_timeframe(self.timeframe))
        object.__setattr__(self, "priority", parse_priority(self.priority))
        if self.start is not None:
            object.__setattr__(self, "start", _aware(self.start, "start"))
        if self.end is not None:
            object.__setattr__(self, "end", _aware(self.end, "end"))
        if self.count is not None:
            parse_count(self.count)
            if self.start is not None:
                raise InvalidInputError(
                    "INVALID_RANGE", "start", "give either count or start, not both"
                )
        elif self.start is None:
            raise InvalidInputError(
                "INVALID_RANGE", "count", "give count (latest candles) or start (a time range)"
            )
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise InvalidInputError(
                "INVALID_RANGE",
                "end",
                f"end {self.end.isoformat()} must be after start {self.start.isoformat()}",
            )
        if not isinstance(self.fill_gaps, bool):
            raise InvalidInputError("INVALID_INPUT", "fill_gaps", "fill_gaps must be True or False")

    @property
    def by_count(self) -> bool:
        """True for a "latest N candles" request, False for a time range."""
        return self.count is not None


@dataclass(frozen=True, slots=True)
class CandleResult:
    """Candles ascending by start, with how the answer was obtained.

    ``upstream_calls`` counts the exchange calls made for this request alone;
    ``shared_pages`` counts pages it waited on that another request was already
    fetching. ``from_storage`` is True when neither happened.
    """

    candles: CandleColumns
    upstream_calls: int
    from_storage: bool
    shared_pages: int = 0


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a long candle request has got; events are monotone and end with ``done``."""

    pages_done: int
    pages_total: int
    candles_done: int
    eta_s: float | None
    done: bool

    @property
    def percent(self) -> float:
        """0 to 100; 100 exactly when ``done``."""
        if self.done:
            return 100.0
        if self.pages_total <= 0:
            return 0.0
        return min(100.0, 100.0 * self.pages_done / self.pages_total)


@dataclass(frozen=True, slots=True)
class QuoteResult:
    """Tickers, orderbooks or trades, with the exchange calls spent and whether the cache answered."""

    data: list[Quote]
    upstream_calls: int
    cache_hit: bool


def normalise_market(value: object, field: str) -> str:
    """An upper-case ``QUOTE-BASE`` market code, or an error naming ``field``."""
    return parse_market(value, field)


def normalise_markets(values: object, field: str = "markets") -> list[str]:
    """Distinct market codes in the order given; a string may hold several, comma-separated."""
    return parse_markets(values, field)


def parse_priority(value: object) -> Priority:
    """A Priority from itself or its text; InvalidInputError naming ``priority`` otherwise."""
    try:
        return Priority.parse(value)  # type: ignore[arg-type]
    except ValueError as exc:
        raise InvalidInputError("INVALID_PRIORITY", "priority", str(exc)) from None


def _aware(value: object, field: str) -> datetime:
    return check_time_span(require_time(value, field), field)
