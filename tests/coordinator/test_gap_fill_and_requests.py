"""Gap filling, request validation and progress events: the pure parts of the coordinator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backbone.coordinator import CandleRequest, Progress
from backbone.coordinator.gap_fill import fill_gaps
from backbone.coordinator.progress import ProgressTracker
from backbone.domain.candle_columns import CandleColumns
from backbone.domain.errors import InvalidInputError
from backbone.domain.models import Candle
from backbone.domain.priority import Priority
from backbone.domain.timeframes import TIMEFRAMES

M1 = TIMEFRAMES["1m"]
T0 = datetime(2025, 6, 24, tzinfo=UTC)


def candle(minute: int, close: float) -> Candle:
    return Candle(
        market="KRW-BTC",
        timeframe=M1,
        start=T0 + timedelta(minutes=minute),
        open=close - 1,
        high=close + 1,
        low=close - 2,
        close=close,
        last_trade_ms=0,
        value=10.0,
        volume=1.0,
    )


def columns(*candles: Candle) -> CandleColumns:
    return CandleColumns.from_candles("KRW-BTC", M1, list(candles))


def test_fill_gaps_carries_the_previous_close_forward() -> None:
    series = fill_gaps(columns(candle(0, 100), candle(3, 110)), M1, T0, T0 + timedelta(minutes=5)).to_candles()
    assert [c.start.minute for c in series] == [0, 1, 2, 3, 4]
    filled = [c for c in series if c.filled]
    assert [c.start.minute for c in filled] == [1, 2, 4]
    first_gap = series[1]
    assert (first_gap.open, first_gap.high, first_gap.low, first_gap.close) == (100, 100, 100, 100)
    assert first_gap.volume == 0 and first_gap.value == 0
    assert series[4].close == 110


def test_fill_gaps_starts_at_the_first_trade_without_a_previous_candle() -> None:
    series = fill_gaps(columns(candle(2, 100)), M1, T0, T0 + timedelta(minutes=4)).to_candles()
    assert [c.start.minute for c in series] == [2, 3]


def test_fill_gaps_uses_the_previous_candle_for_leading_slots() -> None:
    series = fill_gaps(
        columns(candle(2, 100)), M1, T0, T0 + timedelta(minutes=3), previous=columns(candle(-1, 90))
    ).to_candles()
    assert [(c.start.minute, c.close, c.filled) for c in series] == [(0, 90, True), (1, 90, True), (2, 100, False)]


def test_fill_gaps_of_nothing_is_nothing() -> None:
    assert len(fill_gaps(columns(), M1, T0, T0 + timedelta(minutes=3))) == 0


def test_a_request_accepts_text_forms() -> None:
    request = CandleRequest(" krw-btc ", "1m", count=5, priority="low")  # type: ignore[arg-type]
    assert request.market == "KRW-BTC"
    assert request.timeframe is M1
    assert request.priority is Priority.LOW
    assert request.by_count


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"count": 0}, "count"),
        ({"count": True}, "count"),
        ({}, "count"),
        ({"count": 5, "start": T0}, "start"),
        ({"start": T0, "end": T0}, "end"),
        ({"start": T0 + timedelta(1), "end": T0}, "end"),
        ({"start": datetime(2025, 1, 1)}, "start"),
        ({"count": 5, "end": datetime(2025, 1, 1)}, "end"),
        ({"count": 5, "priority": "urgent"}, "priority"),
        ({"count": 5, "timeframe": "7m"}, "timeframe"),
        ({"count": 5, "market": "BTC"}, "market"),
    ],
)
def test_bad_requests_name_the_field(kwargs: dict, field: str) -> None:
    arguments = {"market": "KRW-BTC", "timeframe": M1, **kwargs}
    with pytest.raises(InvalidInputError) as caught:
        CandleRequest(**arguments)
    assert caught.value.field == field


def test_progress_percent_is_100_only_when_done() -> None:
    assert Progress(3, 4, 600, 1.0, False).percent == 75.0
    assert Progress(0, 0, 0, None, True).percent == 100.0
    assert Progress(0, 0, 0, None, False).percent == 0.0


def test_progress_events_never_go_backwards_when_pages_are_added() -> None:
    events: list[Progress] = []
    tracker = ProgressTracker(events.append)
    tracker.add_pages(5)
    for _ in range(5):
        tracker.page_done(200)
    tracker.add_pages(4)  # a quiet market needed another round
    for _ in range(4):
        tracker.page_done(100)
    tracker.finish(1400)
    percents = [e.percent for e in events]
    assert percents == sorted(percents)
    assert events[-1].done and events[-1].percent == 100.0
    assert sum(1 for e in events if e.done) == 1
    assert [e.candles_done for e in events] == sorted(e.candles_done for e in events)


def test_a_failing_progress_callback_does_not_fail_the_request() -> None:
    def broken(_event: Progress) -> None:
        raise RuntimeError("display gone")

    tracker = ProgressTracker(broken)
    tracker.add_pages(1)
    tracker.page_done(1)
    tracker.finish(1)
