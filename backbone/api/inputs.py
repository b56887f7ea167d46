"""Checking what callers pass to the backbone, with messages that name the field and the choices.

Naive datetimes are read as KST, Upbit's home time; dates mean 00:00 KST.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time

from backbone.domain.candle_range import check_time_span
from backbone.domain.clock import KST
from backbone.domain.errors import InvalidInputError
from backbone.domain.priority import Priority
from backbone.domain.timeframes import Timeframe, parse_timeframe
from backbone.domain.vocabulary import parse_count, parse_market, parse_markets

MAX_COUNT = 2_000_000
MAX_SYMBOLS = 500
TimeInput = datetime | date | str


def check_priority(value: Priority | str) -> Priority:
    """A Priority from an enum member or its value."""
    try:
        return Priority.parse(value)
    except ValueError as error:
        raise InvalidInputError("INVALID_PRIORITY", "priority", str(error)) from None


def check_timeframe(value: str | Timeframe) -> Timeframe:
    """A Timeframe from its code; the error lists every allowed code."""
    if not isinstance(value, str | Timeframe):
        raise InvalidInputError("INVALID_TIMEFRAME", "timeframe", f"timeframe must be a string such as '1m', got {value!r}")
    return parse_timeframe(value)


def check_symbol(value: object, known: Collection[str] | None, field: str = "symbol") -> str:
    """One market code such as ``KRW-BTC``, checked against the exchange's list when known."""
    return parse_market(value, field, known)


def check_symbols(values: object, known: Collection[str] | None) -> list[str]:
    """A non-empty list of market codes (a single string is accepted too), duplicates removed."""
    return parse_markets(values, "symbols", known, MAX_SYMBOLS)


def check_count(value: object, field: str = "count", maximum: int = MAX_COUNT) -> int | None:
    """None, or a whole number from 1 to ``maximum``."""
    return None if value is None else parse_count(value, field, 1, maximum)


def check_time(value: TimeInput | None, field: str) -> datetime | None:
    """An aware UTC datetime from an aware/naive datetime, a date or an ISO string.

    Naive values (and bare dates) are read as KST, the exchange's home time.
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed: datetime | date = (
                datetime.fromisoformat(text.replace("Z", "+00:00")) if len(text) > 10 else date.fromisoformat(text)
            )
        except ValueError:
            raise InvalidInputError(
                "INVALID_RANGE", field, f"{field} {value!r} is not a date or time; use ISO 8601 such as '2024-01-01' or '2024-01-01T09:00:00+09:00'"
            ) from None
        value = parsed
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=KST)
        return check_time_span(_to_utc(moment, field), field)
    if isinstance(value, date):
        return check_time_span(_to_utc(datetime.combine(value, time(0), KST), field), field)
    raise InvalidInputError("INVALID_RANGE", field, f"{field} must be a datetime, date or ISO string, got {value!r}")


def check_range(start: datetime | None, end: datetime | None, now: datetime) -> None:
    """Start before end, and neither in the future beyond a small tolerance."""
    if start is not None and end is not None and start >= end:
        raise InvalidInputError(
            "INVALID_RANGE", "start_time", f"start_time {moment_text(start)} is not before end_time {moment_text(end)}"
        )
    if start is not None and start > now:
        raise InvalidInputError("INVALID_RANGE", "start_time", f"start_time {moment_text(start)} is in the future")


def moment_text(moment: datetime) -> str:
    """A time in KST, the zone naive input is read in, with UTC beside it: what a user typed
    comes back as they typed it."""
    kst = moment.astimezone(KST).strftime("%Y-%m-%d %H:%M:%S KST")
    return f"{kst} ({moment.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S UTC')})"


def _to_utc(moment: datetime, field: str) -> datetime:
    """``moment`` in UTC; a time so near year 1 or 9999 that the shift overflows is out of span."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return check_time_span(moment.replace(tzinfo=None).replace(tzinfo=UTC), field)
