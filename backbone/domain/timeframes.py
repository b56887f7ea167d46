"""Upbit's candle timeframes, declared once as data, with UTC alignment arithmetic.

Upbit keys every candle on its UTC start: seconds and minutes are aligned to the
epoch, days start at 00:00 UTC (09:00 KST), weeks on Monday, months on the 1st,
years on 1 January.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from backbone.domain.clock import DAY_MS
from backbone.domain.errors import InvalidInputError

WEEK_MS = 7 * DAY_MS
MONDAY_MS = 4 * DAY_MS  # 1970-01-01 was a Thursday; the first Monday is four days on


@dataclass(frozen=True, slots=True)
class Timeframe:
    """One candle timeframe: its code (``"1m"``), Upbit's REST path and its length."""

    code: str
    path: str  # under /v1/candles/
    seconds: int  # nominal length; months and years use calendar arithmetic
    minute_unit: int | None = None  # Upbit's ``unit`` field for minute candles

    @property
    def calendar(self) -> bool:
        """True for months and years, whose length varies."""
        return self.code in ("1M", "1y")

    def floor(self, when: datetime) -> datetime:
        """The start of the candle that contains ``when`` (aware UTC)."""
        when = require_aware(when, "time")
        if self.code == "1M":
            return datetime(when.year, when.month, 1, tzinfo=UTC)
        if self.code == "1y":
            return datetime(when.year, 1, 1, tzinfo=UTC)
        if self.code == "1w":
            day = datetime(when.year, when.month, when.day, tzinfo=UTC)
            return day - timedelta(days=day.weekday())
        epoch = int(when.timestamp())
        return datetime.fromtimestamp(epoch - epoch % self.seconds, tz=UTC)

    def ceil(self, when: datetime) -> datetime:
        """The first candle start at or after ``when``."""
        start = self.floor(when)
        return start if start == when else self.shift(start, 1)

    def shift(self, start: datetime, steps: int) -> datetime:
        """The candle start ``steps`` candles after (or before, if negative) ``start``."""
        if self.code == "1M":
            months = start.year * 12 + start.month - 1 + steps
            return datetime(months // 12, months % 12 + 1, 1, tzinfo=UTC)
        if self.code == "1y":
            return datetime(start.year + steps, 1, 1, tzinfo=UTC)
        return start + timedelta(seconds=self.seconds * steps)

    def count_between(self, start: datetime, end: datetime) -> int:
        """How many candle starts lie in ``[start, end)``; both must be aligned."""
        if end <= start:
            return 0
        if self.code == "1M":
            return (end.year - start.year) * 12 + end.month - start.month
        if self.code == "1y":
            return end.year - start.year
        return int((end - start).total_seconds()) // self.seconds


_ALL = (
    Timeframe("1s", "seconds", 1),
    Timeframe("1m", "minutes/1", 60, 1),
    Timeframe("3m", "minutes/3", 180, 3),
    Timeframe("5m", "minutes/5", 300, 5),
    Timeframe("10m", "minutes/10", 600, 10),
    Timeframe("15m", "minutes/15", 900, 15),
    Timeframe("30m", "minutes/30", 1800, 30),
    Timeframe("60m", "minutes/60", 3600, 60),
    Timeframe("240m", "minutes/240", 14400, 240),
    Timeframe("1d", "days", 86400),
    Timeframe("1w", "weeks", 7 * 86400),
    Timeframe("1M", "months", 31 * 86400),
    Timeframe("1y", "years", 366 * 86400),
)
TIMEFRAMES: dict[str, Timeframe] = {tf.code: tf for tf in _ALL}
_ALIASES = {"1h": "60m", "4h": "240m", "1D": "1d", "1W": "1w", "1Y": "1y"}


def parse_timeframe(value: str | Timeframe) -> Timeframe:
    """Look up a timeframe by code (``"1m"``, ``"1h"``, ``"1d"``, ...); clear error otherwise."""
    if isinstance(value, Timeframe):
        return value
    text = str(value).strip()
    code = _ALIASES.get(text, text)
    if code not in TIMEFRAMES:
        allowed = ", ".join(list(TIMEFRAMES) + list(_ALIASES))
        raise InvalidInputError(
            "INVALID_TIMEFRAME", "timeframe", f"timeframe {value!r} is not one of: {allowed}"
        )
    return TIMEFRAMES[code]


def slot_starts_of(start_ms: NDArray[np.int64], target: Timeframe) -> NDArray[np.int64]:
    """The start (epoch ms) of the ``target`` candle holding each instant, all at once."""
    if target.code == "1M" or target.code == "1y":
        unit = "M" if target.code == "1M" else "Y"
        floored = start_ms.astype("datetime64[ms]").astype(f"datetime64[{unit}]")
        return floored.astype("datetime64[ms]").astype(np.int64)
    if target.code == "1w":
        return (start_ms - MONDAY_MS) // WEEK_MS * WEEK_MS + MONDAY_MS
    step = target.seconds * 1000
    return start_ms // step * step


def require_aware(when: datetime, field: str) -> datetime:
    """Return ``when`` in UTC; a naive datetime is an error (callers decide how to read it)."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise InvalidInputError(
            "INVALID_RANGE", field, f"{field} {when.isoformat()} has no time zone; pass an aware datetime"
        )
    return when.astimezone(UTC)
