"""One rule for ranges on every path: a range holds the candles whose start lies in ``[start, end)``.

Ranges are given as a user gives them, in KST: naive wall-clock times for
intraday timeframes, calendar dates for days, weeks, months and years. Each
path (CRITICAL, HIGH, NORMAL, LOW and the stream) must answer exactly the
exchange's candles starting in the range, and "latest N before end" the last N
of them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from backbone import MarketDataBackbone, Priority
from backbone.domain.clock import KST, format_upbit_naive
from backbone.domain.models import utc_now
from backbone.domain.timeframes import TIMEFRAMES, Timeframe
from backbone.sim import ExchangeSimulator
from tests.coordinator.helpers import direct_candles

MARKET = "KRW-BTC"
INTRADAY = ["1s", "1m", "3m", "5m", "10m", "15m", "30m", "60m", "240m"]


def kst_naive(when: datetime) -> datetime:
    return when.astimezone(KST).replace(tzinfo=None)


def intraday_case(timeframe: Timeframe) -> tuple[Any, Any, datetime, datetime]:
    """Start and end mid-candle, ten candles back: the first candle starts after ``start``."""
    anchor = timeframe.shift(timeframe.floor(utc_now()), -10)
    offset = timedelta(milliseconds=500) if timeframe.code == "1s" else timedelta(seconds=30)
    start = kst_naive(anchor + offset)
    end = kst_naive(timeframe.shift(anchor, 5) + offset)
    return start, end, timeframe.shift(anchor, 1), timeframe.shift(anchor, 6)


def calendar_case(code: str) -> tuple[Any, Any, datetime, datetime]:
    """KST dates; each UTC candle of the first date starts at 09:00 KST that day."""
    today = utc_now().date()
    if code == "1d":
        first = today - timedelta(days=12)
        last = first + timedelta(days=5)
    elif code == "1w":
        first = today - timedelta(days=today.weekday() + 8 * 7)
        last = first + timedelta(weeks=5)
    elif code == "1M":
        months = today.year * 12 + today.month - 1 - 6
        first = date(months // 12, months % 12 + 1, 1)
        months += 4
        last = date(months // 12, months % 12 + 1, 1)
    else:
        first, last = date(2019, 1, 1), date(2022, 1, 1)
    as_utc = lambda d: datetime(d.year, d.month, d.day, tzinfo=UTC)  # noqa: E731
    return first, last.isoformat(), as_utc(first), as_utc(last)


def case(code: str) -> tuple[Any, Any, datetime, datetime]:
    timeframe = TIMEFRAMES[code]
    return intraday_case(timeframe) if code in INTRADAY else calendar_case(code)


def starts(rows: list[dict[str, Any]]) -> list[str]:
    return [row["candle_date_time_utc"] for row in rows]


@pytest.mark.parametrize("code", list(TIMEFRAMES))
async def test_every_path_answers_a_kst_range_with_the_candles_starting_inside_it(
    simulator: ExchangeSimulator, make_backbone: Any, code: str
) -> None:
    timeframe = TIMEFRAMES[code]
    start, end, first, last = case(code)
    truth = await direct_candles(simulator, MARKET, timeframe, first, last)
    assert truth, f"the simulator has no {code} candles in [{first}, {last})"
    expected = [format_upbit_naive(c.start) for c in truth]
    closes = [c.close for c in truth]
    backbone: MarketDataBackbone = await make_backbone(simulator)

    for priority in (Priority.CRITICAL, Priority.HIGH, Priority.NORMAL, Priority.LOW):
        response = await backbone.get_candle_data(MARKET, code, start_time=start, end_time=end, priority=priority)
        assert response.success, (priority, response.error)
        assert starts(response.data) == expected, priority
        assert [row["trade_price"] for row in response.data] == closes, priority

        latest = await backbone.get_candle_data(MARKET, code, count=2, end_time=end, priority=priority)
        assert latest.success, (priority, latest.error)
        assert starts(latest.data) == expected[-2:], priority

    streamed: list[dict[str, Any]] = []
    async for chunk in backbone.stream_candle_data(MARKET, code, start, end):
        streamed.extend(chunk)
    assert starts(streamed) == expected
