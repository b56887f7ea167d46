"""Checks on caller input, each failing with an error that names the field and what is allowed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from backbone.domain.errors import InvalidInputError
from backbone.domain.vocabulary import parse_count, parse_market, parse_markets, require_time
from backbone.router.endpoints import WS_KINDS, WS_QUOTE_KINDS

_TIME_OF_DAY = re.compile(r"^\d{2}:?\d{2}:?\d{2}$")


def market_code(value: str, field: str = "market") -> str:
    """``krw-btc`` -> ``KRW-BTC``; anything not shaped QUOTE-BASE is refused."""
    return parse_market(value, field)


def market_codes(values: Sequence[str], field: str = "markets") -> list[str]:
    """A non-empty list of market codes, upper-cased, duplicates removed, order kept."""
    return parse_markets(values, field)


def count_in(value: int, low: int, high: int, field: str = "count") -> int:
    """A whole number from ``low`` to ``high``."""
    return parse_count(value, field, low, high)


def aware_time(value: datetime, field: str) -> datetime:
    """An aware datetime, in UTC."""
    return require_time(value, field)


def time_of_day(value: str, field: str = "to") -> str:
    """Upbit's trade ``to``: ``HHmmss`` or ``HH:mm:ss``."""
    if not isinstance(value, str) or not _TIME_OF_DAY.match(value):
        raise InvalidInputError(
            "INVALID_RANGE",
            field,
            f"{field} must be a time of day 'HHmmss' or 'HH:mm:ss', got {value!r}",
        )
    return value


def stream_kind(value: str, allowed: Sequence[str] = WS_KINDS) -> str:
    """A WebSocket stream kind out of ``allowed`` (every kind the channel carries by default)."""
    if value not in allowed:
        raise InvalidInputError(
            "INVALID_KIND", "kind", f"kind {value!r} is not one of: {', '.join(allowed)}"
        )
    return value


def quote_kind(value: str) -> str:
    """A kind :meth:`SmartRouter.request` answers: ticker, orderbook or trade."""
    return stream_kind(value, WS_QUOTE_KINDS)
