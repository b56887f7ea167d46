"""Time formats Upbit uses on the wire, and KST for display."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

KST = timezone(timedelta(hours=9), "KST")


def ms_to_utc(ms: int) -> datetime:
    """Epoch milliseconds to an aware UTC datetime."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def utc_to_ms(when: datetime) -> int:
    """Aware datetime to epoch milliseconds."""
    return round(when.timestamp() * 1000)


def parse_upbit_naive(text: str) -> datetime:
    """Upbit's zone-less ``yyyy-MM-ddTHH:mm:ss`` strings, read as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def format_upbit_naive(when: datetime, zone: timezone = UTC) -> str:
    """An aware datetime as Upbit's zone-less string in ``zone`` (UTC or KST)."""
    return when.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S")


def format_to_param(when: datetime) -> str:
    """The ``to`` query value for candle requests: ISO 8601 UTC with a ``Z``."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
