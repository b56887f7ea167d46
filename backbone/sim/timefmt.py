"""Time arithmetic and Upbit's time strings, for the simulator alone.

The simulator shares no code with the client layers, so it keeps its own small
helpers: epoch milliseconds everywhere inside, strings only at the wire.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
KST_OFFSET_MS = 9 * HOUR_MS
KST = timezone(timedelta(hours=9))

_DAY_STRINGS: dict[int, tuple[str, str]] = {}
_HHMM = [f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)]


def now_ms() -> int:
    """Wall-clock time in epoch milliseconds."""
    return time.time_ns() // 1_000_000


def http_date(ms: int) -> str:
    """An HTTP ``Date`` header value for the instant ``ms`` (whole seconds, GMT)."""
    return format_datetime(datetime.fromtimestamp(ms // 1000, tz=UTC), usegmt=True)


def day_of(ms: int) -> int:
    """The UTC day number (days since 1970-01-01) holding ``ms``."""
    return ms // DAY_MS


def _day_strings(day: int) -> tuple[str, str]:
    cached = _DAY_STRINGS.get(day)
    if cached is None:
        date = datetime.fromtimestamp(day * 86_400, tz=UTC)
        cached = (date.strftime("%Y-%m-%d"), date.strftime("%Y%m%d"))
        if len(_DAY_STRINGS) > 20_000:
            _DAY_STRINGS.clear()
        _DAY_STRINGS[day] = cached
    return cached


def naive_string(ms: int) -> str:
    """``yyyy-MM-dd'T'HH:mm:ss`` for the UTC instant ``ms`` (no zone suffix, as Upbit writes)."""
    day, rest = divmod(ms, DAY_MS)
    seconds = rest // 1000
    return f"{_day_strings(day)[0]}T{_HHMM[seconds // 60]}:{seconds % 60:02d}"


def naive_kst_string(ms: int) -> str:
    """The same instant written on the KST wall clock."""
    return naive_string(ms + KST_OFFSET_MS)


def date_dash(ms: int) -> str:
    """``yyyy-MM-dd`` of the UTC day holding ``ms``."""
    return _day_strings(ms // DAY_MS)[0]


def date_compact(ms: int) -> str:
    """``yyyyMMdd`` of the UTC day holding ``ms``."""
    return _day_strings(ms // DAY_MS)[1]


def time_compact(ms: int) -> str:
    """``HHmmss`` of the UTC instant ``ms``."""
    seconds = (ms % DAY_MS) // 1000
    return f"{seconds // 3600:02d}{seconds // 60 % 60:02d}{seconds % 60:02d}"


def time_colon(ms: int) -> str:
    """``HH:mm:ss`` of the UTC instant ``ms``."""
    seconds = (ms % DAY_MS) // 1000
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


_TO_PATTERN = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.(\d{1,9}))?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_to(text: str) -> int:
    """Parse a candle ``to`` parameter into epoch ms.

    Accepts ``2025-06-24T04:56:53Z``, ``2025-06-24 04:56:53`` (no zone means UTC),
    ``2025-06-24T13:56:53+09:00`` and a bare date. Raises ``ValueError`` otherwise.
    """
    match = _TO_PATTERN.match(text.strip())
    if match is None:
        raise ValueError(text)
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    moment = datetime(
        int(year),
        int(month),
        int(day),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        tzinfo=UTC,
    )
    ms = int(moment.timestamp() * 1000)
    if fraction:
        ms += int(fraction[:3].ljust(3, "0"))
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = (int(digits[:2]) * 60 + int(digits[2:])) * MINUTE_MS
        ms -= sign * offset
    return ms


_TIME_OF_DAY = re.compile(r"^(\d{2}):?(\d{2}):?(\d{2})$")


def parse_time_of_day(text: str) -> int:
    """Parse the trades ``to`` parameter (``HHmmss`` or ``HH:mm:ss``) into ms after midnight."""
    match = _TIME_OF_DAY.match(text.strip())
    if match is None:
        raise ValueError(text)
    hour, minute, second = (int(part) for part in match.groups())
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(text)
    return ((hour * 60 + minute) * 60 + second) * 1000


def week_start_day(day: int) -> int:
    """The Monday on or before UTC day ``day`` (1970-01-01 was a Thursday)."""
    return day - (day + 3) % 7


def month_start_day(day: int) -> int:
    """The first day of the month holding UTC day ``day``."""
    date = datetime.fromtimestamp(day * 86_400, tz=UTC)
    return int(datetime(date.year, date.month, 1, tzinfo=UTC).timestamp()) // 86_400


def year_start_day(day: int) -> int:
    """1 January of the year holding UTC day ``day``."""
    date = datetime.fromtimestamp(day * 86_400, tz=UTC)
    return int(datetime(date.year, 1, 1, tzinfo=UTC).timestamp()) // 86_400


def previous_month_start(day: int) -> int:
    """The first day of the month before the one starting on ``day``."""
    return month_start_day(day - 1)


def previous_year_start(day: int) -> int:
    """1 January of the year before the one starting on ``day``."""
    return year_start_day(day - 1)


def day_from_date(year: int, month: int, day: int) -> int:
    """The UTC day number of a calendar date."""
    return int(datetime(year, month, day, tzinfo=UTC).timestamp()) // 86_400
