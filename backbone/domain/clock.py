"""Time formats Upbit uses on the wire, and KST for display."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

KST = timezone(timedelta(hours=9), "KST")
KST_OFFSET_MS = 9 * 3_600_000  # KST wall clock minus UTC, in milliseconds
MINUTE_MS = 60_000
DAY_MS = 86_400_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)


def ms_to_utc(ms: int) -> datetime:
    """Epoch milliseconds to an aware UTC datetime, exactly (no float rounding)."""
    return EPOCH + ms * _ONE_MS


def utc_to_ms(when: datetime) -> int:
    """Aware datetime to epoch milliseconds, exactly (sub-millisecond parts are dropped)."""
    return (when - EPOCH) // _ONE_MS


def parse_upbit_naive(text: str) -> datetime:
    """Upbit's zone-less ``yyyy-MM-ddTHH:mm:ss`` strings, read as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def format_upbit_naive(when: datetime, zone: timezone = UTC) -> str:
    """An aware datetime as Upbit's zone-less string in ``zone`` (UTC or KST)."""
    return when.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S")


def format_to_param(when: datetime) -> str:
    """The ``to`` query value for candle requests: ISO 8601 UTC with a ``Z``."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
