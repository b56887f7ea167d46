"""Pure planning arithmetic: requests to aligned ranges, ranges to exchange pages.

Nothing here awaits or touches storage or the network, so every edge case is a
plain unit test. Ranges are half-open ``[start, end)`` of aligned candle starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from backbone.domain.candle_range import Span
from backbone.domain.timeframes import Timeframe
from backbone.router.endpoints import MAX_CANDLE_COUNT as PAGE_SIZE

# Upbit opened in October 2017; a page that comes back short proves there are no
# older candles, so coverage is recorded back to here and never asked for again.
HISTORY_FLOOR = datetime(2017, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class PageSpan:
    """One exchange call: ``count=slots`` candles with ``to=end`` cover exactly ``[start, end)``."""

    start: datetime
    end: datetime
    slots: int


def history_floor(timeframe: Timeframe) -> datetime:
    """The aligned start before which the exchange holds no candles."""
    return timeframe.floor(HISTORY_FLOOR)


def split_pages(
    timeframe: Timeframe, start: datetime, end: datetime, page_size: int = PAGE_SIZE
) -> list[PageSpan]:
    """Split ``[start, end)`` into pages of at most ``page_size`` slots, ascending.

    Pages are anchored at ``end`` and walk backwards, because Upbit pages from a
    ``to`` backwards: N slots ending at ``end`` take ``ceil(N / page_size)`` calls
    and only the oldest page may be short.
    """
    return list(iter_pages(timeframe, start, end, page_size))


def iter_pages(
    timeframe: Timeframe, start: datetime, end: datetime, page_size: int = PAGE_SIZE
) -> Iterator[PageSpan]:
    """The pages of :func:`split_pages`, ascending, made one at a time as they are wanted.

    A range of years of minutes is tens of thousands of pages; a caller that only
    looks a few pages ahead never pays for the rest.
    """
    if page_size < 1:
        raise ValueError("page_size must be >= 1")
    slots = timeframe.count_between(start, end)
    short = slots % page_size
    cursor = start
    if short:  # the oldest page is the short one
        cursor = timeframe.shift(start, short)
        yield PageSpan(start, cursor, short)
    while cursor < end:
        following = timeframe.shift(cursor, page_size)
        yield PageSpan(cursor, following, page_size)
        cursor = following


def page_count(timeframe: Timeframe, start: datetime, end: datetime, page_size: int = PAGE_SIZE) -> int:
    """How many pages :func:`split_pages` would make, without making them."""
    return -(-timeframe.count_between(start, end) // page_size)


def subtract(ranges: Sequence[Span], holes: Iterable[Span]) -> list[Span]:
    """``ranges`` minus every hole, ascending and non-empty; inputs need not be sorted."""
    result = sorted((a, b) for a, b in ranges if a < b)
    for hole_start, hole_end in sorted(holes):
        if hole_start >= hole_end:
            continue
        trimmed: list[Span] = []
        for a, b in result:
            if hole_end <= a or hole_start >= b:
                trimmed.append((a, b))
                continue
            if a < hole_start:
                trimmed.append((a, hole_start))
            if hole_end < b:
                trimmed.append((hole_end, b))
        result = trimmed
    return result


def overlaps(a: Span, b: Span) -> bool:
    """True when two half-open spans share at least one instant."""
    return a[0] < b[1] and b[0] < a[1]
