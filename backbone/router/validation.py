"""Checks on caller input, each failing with an error that names the field and what is allowed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from backbone.domain.errors import InvalidInputError
from backbone.domain.timeframes import require_aware
from backbone.router.endpoints import WS_KINDS

_MARKET = re.compile(r"^[A-Z0-9]{2,10}-[A-Z0-9]{1,20}$")
_TIME_OF_DAY = re.compile(r"^\d{2}:?\d{2}:?\d{2}$")


def market_code(value: str, field: str = "market") -> str:
    """``krw-btc`` -> ``KRW-BTC``; anything not shaped QUOTE-BASE is refused."""
    if not isinstance(value, str):
        raise InvalidInputError(
            "INVALID_MARKET", field, f"{field} must be a string like 'KRW-BTC', got {value!r}"
        )
    code = value.strip().upper()
    if not _MARKET.match(code):
        raise InvalidInputError(
            "INVALID_MARKET", field, f"{field} {value!r} is not a market code like 'KRW-BTC'"
        )
    return code


def market_codes(values: Sequence[str], field: str = "markets") -> list[str]:
    """A non-empty list of market codes, upper-cased, duplicates removed, order kept."""
    if isinstance(values, str):
        values = [v for v in values.split(",") if v.strip()]
    codes = list(dict.fromkeys(market_code(v, field) for v in values))
    if not codes:
        raise InvalidInputError("INVALID_MARKET", field, f"{field} must name at least one market")
    return codes


def count_in(value: int, low: int, high: int, field: str = "count") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInputError(
            "INVALID_COUNT",
            field,
            f"{field} must be an integer from {low} to {high}, got {value!r}",
        )
    return value


def aware_time(value: datetime, field: str) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidInputError(
            "INVALID_RANGE", field, f"{field} must be a datetime, got {value!r}"
        )
    return require_aware(value, field)


def time_of_day(value: str, field: str = "to") -> str:
    """Upbit's trade ``to``: ``HHmmss`` or ``HH:mm:ss``."""
    if not isinstance(value, str) or not _TIME_OF_DAY.match(value):
        raise InvalidInputError(
            "INVALID_RANGE",
            field,
            f"{field} must be a time of day 'HHmmss' or 'HH:mm:ss', got {value!r}",
        )
    return value


def stream_kind(value: str) -> str:
    if value not in WS_KINDS:
        raise InvalidInputError(
            "INVALID_KIND", "kind", f"kind {value!r} is not one of: {', '.join(WS_KINDS)}"
        )
    return value
