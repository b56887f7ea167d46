"""Which candles a time range holds, and which times the backbone accepts: one rule for every path.

A range ``[start, end)`` holds every candle whose *start* lies in it, on every
priority. Upbit labels a candle by its start (``candle_date_time_kst``), so a day
range given as KST dates ``2024-01-02`` to ``2024-01-05`` holds the candles
labelled the 2nd, 3rd and 4th, and a minute range 09:00:30 to 09:05:30 holds the
five minutes starting 09:01 to 09:05. Nothing can start after the forming candle,
so the end is clipped there. A candle counts as closed only once the exchange's
own clock has passed its end by ``CLOSE_MARGIN``.

Times outside ``[EARLIEST, LATEST)`` are refused: far-off dates would overflow
the calendar arithmetic, and no exchange data can lie there.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backbone.domain.errors import InvalidInputError
from backbone.domain.timeframes import Timeframe

# A trade made just before a candle's end may reach the exchange's candles a moment after it.
CLOSE_MARGIN = timedelta(seconds=2)

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

Span = tuple[datetime, datetime]


def check_time_span(when: datetime, field: str) -> datetime:
    """``when`` (aware) unchanged, or ``INVALID_RANGE`` naming ``field`` and the allowed span."""
    if not EARLIEST <= when < LATEST:
        raise InvalidInputError(
            "INVALID_RANGE",
            field,
            f"{field} {when.isoformat()} is outside the allowed span: from "
            f"{EARLIEST.date().isoformat()} up to (not including) {LATEST.date().isoformat()} UTC",
        )
    return when


def live_end(timeframe: Timeframe, now: datetime) -> datetime:
    """The exclusive end that includes the still-forming candle at ``now``."""
    return timeframe.shift(timeframe.floor(now), 1)


def range_slots(timeframe: Timeframe, start: datetime, end: datetime | None, now: datetime) -> Span:
    """Aligned ``[first, last)`` of the candles whose start lies in ``[start, end)``.

    ``end`` defaults to now; the result may be empty (``first >= last``).
    """
    first = timeframe.ceil(start)
    return first, count_end(timeframe, end, now)


def count_end(timeframe: Timeframe, end: datetime | None, now: datetime) -> datetime:
    """The exclusive end of a "latest N candles" request: candles that start before ``end``."""
    limit = live_end(timeframe, now)
    return limit if end is None else min(timeframe.ceil(end), limit)


def closed_end(timeframe: Timeframe, exchange_time: datetime | None, floor: datetime) -> datetime:
    """The end of the candles surely closed at ``exchange_time`` (less ``CLOSE_MARGIN``); ``floor`` when unknown.

    The exchange's clock decides, never this machine's: a local clock seconds ahead
    would otherwise call the forming candle closed and store it for good.
    """
    if exchange_time is None:
        return floor
    return max(floor, timeframe.floor(exchange_time - CLOSE_MARGIN))
