"""Recent trades by cursor pagination: the latest N, or everything back to a start time.

Upbit serves trades newest first, one UTC trade date at a time (``days_ago`` 1..7
reaches back a week), and pages within a date by ``cursor`` (the last
``sequential_id`` received). Pages are stored by sequential id as they arrive and
the answer is ascending by time, without duplicates.
May call: the router and storage.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from backbone.coordinator.requests import QuoteResult, normalise_market, parse_priority
from backbone.domain.clock import utc_to_ms
from backbone.domain.errors import InvalidInputError
from backbone.domain.models import Trade, utc_now
from backbone.domain.priority import Priority
from backbone.domain.timeframes import require_aware
from backbone.router.endpoints import MAX_TRADE_COUNT as TRADE_PAGE
from backbone.router.endpoints import MAX_TRADE_DAYS_AGO

if TYPE_CHECKING:
    from backbone.router import SmartRouter
    from backbone.storage import MarketStore

DEFAULT_TRADE_COUNT = 100  # when neither count nor start is given
MAX_TRADE_COUNT = 100_000  # a sanity bound: one call per 500


class TradeService:
    """Cursor-paginated trade history for one market at a time."""

    def __init__(
        self,
        router: SmartRouter,
        store: MarketStore,
    ) -> None:
        self._router = router
        self._store = store

    async def trades(
        self,
        market: str,
        *,
        count: int | None,
        start: datetime | None,
        priority: Priority,
    ) -> QuoteResult:
        """See ``Coordinator.get_trades``."""
        market = normalise_market(market, "market")
        priority = parse_priority(priority)
        now = utc_now()
        count, start = _check(count, start, now)
        collected: dict[int, Trade] = {}
        calls = 0
        days_ago = 0
        cursor: int | None = None
        while True:
            want = TRADE_PAGE if count is None else min(TRADE_PAGE, count - _wanted(collected, start))
            page = await self._router.fetch_trades(
                market, count=max(want, 1), cursor=cursor, days_ago=days_ago or None, priority=priority
            )
            calls += 1
            new = [t for t in page if t.sequential_id not in collected]
            for trade in new:
                collected[trade.sequential_id] = trade
            if new:
                await self._store.write_trades(new)
            if count is not None and _wanted(collected, start) >= count:
                break
            if start is not None and page and min(t.timestamp for t in page) < utc_to_ms(start):
                break
            if len(page) < want or not new:
                # This trade date is exhausted: continue with the day before, within the week.
                days_ago += 1
                cursor = None
                if days_ago > MAX_TRADE_DAYS_AGO or _day_ends_before(now, days_ago, start):
                    break
            else:
                cursor = page[-1].sequential_id  # newest first: the last is the oldest
        trades = sorted(collected.values(), key=lambda t: (t.timestamp, t.sequential_id))
        if start is not None:
            trades = [t for t in trades if t.timestamp >= utc_to_ms(start)]
        if count is not None:
            trades = trades[-count:]
        return QuoteResult(data=list(trades), upstream_calls=calls, cache_hit=False)


def _check(count: int | None, start: datetime | None, now: datetime) -> tuple[int | None, datetime | None]:
    if count is not None and (
        isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_TRADE_COUNT
    ):
        raise InvalidInputError(
            "INVALID_COUNT", "count", f"count must be a whole number from 1 to {MAX_TRADE_COUNT}, got {count!r}"
        )
    if start is not None:
        if not isinstance(start, datetime):
            raise InvalidInputError("INVALID_RANGE", "start", f"start must be a datetime, got {start!r}")
        start = require_aware(start, "start")
        oldest = now - timedelta(days=MAX_TRADE_DAYS_AGO)
        if start < oldest - timedelta(minutes=1):
            raise InvalidInputError(
                "INVALID_RANGE", "start", f"start must be within the last {MAX_TRADE_DAYS_AGO} days: Upbit keeps no older trades"
            )
        if start >= now:
            raise InvalidInputError("INVALID_RANGE", "start", "start must be in the past")
    if count is None and start is None:
        count = DEFAULT_TRADE_COUNT
    return count, start


def _wanted(collected: dict[int, Trade], start: datetime | None) -> int:
    if start is None:
        return len(collected)
    floor = utc_to_ms(start)
    return sum(1 for t in collected.values() if t.timestamp >= floor)


def _day_ends_before(now: datetime, days_ago: int, start: datetime | None) -> bool:
    """True when the UTC date ``days_ago`` before today ends before ``start``."""
    if start is None:
        return False
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days_ago)
    return day_start + timedelta(days=1) <= start
