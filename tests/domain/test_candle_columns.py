"""The columnar candle type: invariants, slicing, concat, merge by start, and the Upbit dicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from backbone.domain.candle_columns import CandleColumns
from backbone.domain.errors import InvalidInputError
from backbone.domain.models import Candle
from backbone.domain.timeframes import TIMEFRAMES

T0 = datetime(2024, 3, 1, 23, 58, tzinfo=UTC)


def _candles(code: str, count: int, *, start: datetime = T0, filled_at: int | None = None) -> list[Candle]:
    tf = TIMEFRAMES[code]
    out = []
    when = tf.floor(start)
    for i in range(count):
        day = code == "1d"
        out.append(
            Candle(
                "KRW-BTC", tf, when, 100.0 + i, 110.5 + i, 90.25 + i, 105.0 + i,
                int(when.timestamp() * 1000) + 1234, 1e6 * (i + 1), 0.5 * (i + 1),
                filled=filled_at == i,
                prev_closing_price=99.0 + i if day else None,
                change_price=6.0 if day else None,
                change_rate=0.0606 if day else None,
            )
        )
        when = tf.shift(when, 1)
    return out


@pytest.mark.parametrize("code", ["1s", "1m", "15m", "240m", "1d", "1w", "1M", "1y"])
def test_upbit_dicts_are_exactly_what_candle_to_upbit_gives(code: str) -> None:
    candles = _candles(code, 30, filled_at=7)
    columns = CandleColumns.from_candles("KRW-BTC", code, candles)
    assert columns.to_upbit() == [c.to_upbit() for c in candles]
    for mine, theirs in zip(columns.to_upbit(), (c.to_upbit() for c in candles), strict=True):
        assert [type(v) for v in mine.values()] == [type(v) for v in theirs.values()]
        assert list(mine) == list(theirs)


@pytest.mark.parametrize(("code", "count"), [("1m", 700), ("3m", 400), ("1s", 40_000)])
def test_time_texts_shared_between_utc_and_kst_are_each_candles_own(code: str, count: int) -> None:
    # Longer than nine hours: most KST texts reuse the UTC text of a later candle.
    candles = _candles(code, count)
    dicts = CandleColumns.from_candles("KRW-BTC", code, candles).to_upbit()
    assert [(d["candle_date_time_utc"], d["candle_date_time_kst"]) for d in dicts] == [
        (c.to_upbit()["candle_date_time_utc"], c.to_upbit()["candle_date_time_kst"]) for c in candles
    ]


def test_round_trip_through_candle_records_is_lossless() -> None:
    candles = _candles("1d", 10, filled_at=3)
    assert CandleColumns.from_candles("KRW-BTC", "1d", candles).to_candles() == candles


def test_columns_are_read_only_and_must_ascend() -> None:
    columns = CandleColumns.from_candles("KRW-BTC", "1m", _candles("1m", 5))
    with pytest.raises(ValueError):
        columns.close[0] = 1.0
    with pytest.raises(InvalidInputError) as caught:
        CandleColumns.from_ohlcv([2, 1], [1, 1], [1, 1], [1, 1], [1, 1], [1, 1])
    assert caught.value.field == "start_ms"
    with pytest.raises(InvalidInputError) as caught:
        CandleColumns.from_ohlcv([1, 2], [1], [1, 1], [1, 1], [1, 1], [1, 1])
    assert caught.value.field == "open"


def test_from_candles_sorts_and_keeps_the_last_of_a_repeated_start() -> None:
    candles = _candles("1m", 4)
    again = Candle(**{**{f: getattr(candles[1], f) for f in Candle.__dataclass_fields__}, "close": 1.5})
    columns = CandleColumns.from_candles("KRW-BTC", "1m", [candles[3], candles[1], candles[0], again, candles[2]])
    assert columns.to_candles() == [candles[0], again, candles[2], candles[3]]


def test_slices_between_and_last_are_views_of_the_same_memory() -> None:
    columns = CandleColumns.from_candles("KRW-BTC", "1m", _candles("1m", 10))
    start = int(columns.start_ms[2])
    part = columns.between(start, start + 3 * 60_000)
    assert len(part) == 3 and part.start_ms[0] == start
    assert np.shares_memory(part.close, columns.close)
    assert columns.last(4).equals(columns[6:])
    assert len(columns.last(0)) == 0


def test_concat_of_disjoint_parts_and_refusal_of_overlap_or_other_series() -> None:
    columns = CandleColumns.from_candles("KRW-BTC", "1m", _candles("1m", 10))
    assert CandleColumns.concat([columns[:4], columns[4:4], columns[4:]]).equals(columns)
    with pytest.raises(InvalidInputError):
        CandleColumns.concat([columns[:5], columns[3:]])
    other = CandleColumns.from_candles("KRW-ETH", "1m", [])
    with pytest.raises(InvalidInputError):
        CandleColumns.concat([columns, CandleColumns.from_ohlcv([1], [1], [1], [1], [1], [1], market="KRW-ETH")])
    assert len(other) == 0


def test_merge_by_start_lets_the_newer_side_win() -> None:
    base = _candles("1m", 10)
    stored = CandleColumns.from_candles("KRW-BTC", "1m", base[:8])
    forming = [Candle(**{**{f: getattr(c, f) for f in Candle.__dataclass_fields__}, "close": 7.0}) for c in base[6:]]
    fresh = CandleColumns.from_candles("KRW-BTC", "1m", forming)
    merged = stored.merge(fresh)
    assert merged.to_candles() == base[:6] + forming
    assert stored.merge(CandleColumns.empty("KRW-BTC", "1m")) is stored
    older = CandleColumns.from_candles("KRW-BTC", "1m", _candles("1m", 3, start=T0 - timedelta(hours=1)))
    assert older.merge(stored).to_candles() == older.to_candles() + stored.to_candles()


def test_to_frame_has_upbit_columns_and_an_aware_utc_index() -> None:
    candles = _candles("1m", 5)
    frame = CandleColumns.from_candles("KRW-BTC", "1m", candles).to_frame()
    assert str(frame.index.tz) == "UTC"
    assert frame.index[0] == pd.Timestamp(candles[0].start)
    assert frame["trade_price"].tolist() == [c.close for c in candles]
    kst = frame["candle_date_time_kst"].iloc[0]
    assert kst.isoformat() == candles[0].to_upbit()["candle_date_time_kst"]
    assert set(candles[0].to_upbit()) <= set(frame.columns)
    assert str(frame["candle_date_time_utc"].dtype).startswith("datetime64")
