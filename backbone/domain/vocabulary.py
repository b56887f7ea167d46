"""One vocabulary for what callers name: market codes and counts, checked the same way everywhere.

Every entry object (the API door, the coordinator's requests, the router, the store)
checks its input with these functions, so one bad market code gets one error code,
``INVALID_SYMBOL``, and one wording, whichever door it came through; counts get
``INVALID_COUNT``; a time that is not an aware datetime ``INVALID_RANGE``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from datetime import datetime

from backbone.domain.errors import InvalidInputError
from backbone.domain.timeframes import require_aware

# QUOTE-BASE, as Upbit writes them: KRW-BTC, BTC-ETH, USDT-XRP, KRW-1INCH.
MARKET_PATTERN = re.compile(r"^[A-Z0-9]{2,10}-[A-Z0-9]{1,20}$")
BAD_MARKET = "INVALID_SYMBOL"
BAD_COUNT = "INVALID_COUNT"
MAX_MARKETS = 1_000  # more entries than the exchange lists markets: stop reading there


def parse_market(value: object, field: str = "market", known: Collection[str] | None = None) -> str:
    """A market code from what a caller typed (``" krw-btc "`` -> ``KRW-BTC``).

    With ``known`` (the exchange's list), a code it does not hold is refused too.
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(BAD_MARKET, field, f"{field} must be a market code such as 'KRW-BTC', got {value!r}")
    return require_market(value.strip().upper(), field, known, given=value)


def require_market(
    value: object, field: str = "market", known: Collection[str] | None = None, *, given: object = None
) -> str:
    """A market code exactly as it must be stored or sent (upper case, no spaces): nothing is fixed up."""
    shown = value if given is None else given
    if not isinstance(value, str) or not MARKET_PATTERN.match(value):
        raise InvalidInputError(
            BAD_MARKET, field, f"{field} {shown!r} is not a market code; use QUOTE-BASE such as 'KRW-BTC'"
        )
    if known and value not in known:
        raise InvalidInputError(BAD_MARKET, field, f"{field} {value!r} is not listed on the exchange (see list_markets())")
    return value


def parse_markets(
    values: object,
    field: str = "markets",
    known: Collection[str] | None = None,
    maximum: int = MAX_MARKETS,
) -> list[str]:
    """Distinct market codes in the order given; a string may hold one or several, comma-separated.

    At most ``maximum`` entries are read, duplicates included, so an endless
    iterable is refused at the limit instead of read forever.
    """
    if isinstance(values, str):
        values = [part for part in values.split(",") if part.strip()]
    if not isinstance(values, Iterable):
        raise InvalidInputError(BAD_MARKET, field, f"{field} must be a list of market codes, got {values!r}")
    codes: dict[str, None] = {}
    for read, value in enumerate(values):
        if read >= maximum:
            raise InvalidInputError(BAD_MARKET, field, f"{field} has more than {maximum} entries; at most {maximum}")
        codes.setdefault(parse_market(value, field, known), None)
    if not codes:
        raise InvalidInputError(BAD_MARKET, field, f"{field} is empty; pass at least one market code")
    return list(codes)


def require_time(value: object, field: str) -> datetime:
    """An aware datetime, returned in UTC; anything else (a string, a naive time) is refused."""
    if not isinstance(value, datetime):
        raise InvalidInputError(
            "INVALID_RANGE", field, f"{field} must be an aware datetime, not {type(value).__name__}"
        )
    return require_aware(value, field)


def parse_count(value: object, field: str = "count", minimum: int = 1, maximum: int | None = None) -> int:
    """A whole number from ``minimum`` to ``maximum`` (no upper bound when None)."""
    allowed = f"from {minimum} to {maximum}" if maximum is not None else f">= {minimum}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(BAD_COUNT, field, f"{field} must be a whole number {allowed}, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        raise InvalidInputError(BAD_COUNT, field, f"{field} {value} is out of range; allowed {allowed}")
    return value
