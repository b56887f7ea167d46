"""Checks on what callers hand the store; each failure is an InvalidInputError naming the field."""

from __future__ import annotations

from datetime import datetime

from backbone.domain.errors import InvalidInputError
from backbone.domain.timeframes import Timeframe, parse_timeframe
from backbone.domain.vocabulary import parse_count, require_market, require_time


def check_market(market: object, field: str = "market") -> str:
    """A market code exactly as stored, such as ``KRW-BTC`` (upper case, no spaces)."""
    return require_market(market, field)


def check_timeframe(timeframe: Timeframe | str) -> Timeframe:
    """A Timeframe, or a code parse_timeframe knows (its error names ``timeframe``)."""
    return parse_timeframe(timeframe)


def check_time(when: object, field: str) -> datetime:
    """An aware datetime, returned in UTC."""
    return require_time(when, field)


def check_range(
    start: object, end: object, start_field: str = "start", end_field: str = "end"
) -> tuple[datetime, datetime]:
    """Two aware datetimes with ``start <= end`` (an empty range is allowed)."""
    begin = check_time(start, start_field)
    finish = check_time(end, end_field)
    if begin > finish:
        raise InvalidInputError(
            "INVALID_RANGE",
            start_field,
            f"{start_field} {begin.isoformat()} is after {end_field} {finish.isoformat()}",
        )
    return begin, finish


def check_count(count: object, field: str = "count") -> int:
    """A whole number of rows, zero or more."""
    return parse_count(count, field, minimum=0)
