"""The API door: the same candles through every path, as the seed's dicts and as columns."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import numpy as np

from backbone import CandleColumns, MarketDataBackbone, Priority
from backbone.domain.clock import format_to_param
from backbone.sim import ExchangeSimulator
from tests.coordinator.helpers import past_end


async def _wire_candles(sim: ExchangeSimulator, path: str, to: str, count: int) -> list[dict]:
    async with aiohttp.ClientSession() as session:
        url = f"{sim.rest_url}/candles/{path}"
        async with session.get(url, params={"market": "KRW-BTC", "count": str(count), "to": to}) as answer:
            answer.raise_for_status()
            return list(reversed(await answer.json()))


async def test_candle_dicts_carry_the_exchange_fields_and_types_unchanged(
    simulator: ExchangeSimulator, backbone: MarketDataBackbone
) -> None:
    end = past_end()
    for timeframe, path in (("1m", "minutes/1"), ("15m", "minutes/15"), ("1d", "days"), ("1w", "weeks")):
        tf_end = end.replace(hour=0, minute=0) if timeframe in ("1d", "1w") else end
        response = await backbone.get_candle_data("KRW-BTC", timeframe, count=150, end_time=tf_end)
        wire = await _wire_candles(simulator, path, format_to_param(tf_end), 150)
        assert response.success, response.error
        got = response.data
        if timeframe == "1w":
            got, wire = got[:-1], wire[:-1]  # the current week may still be forming
        assert got == wire
        assert [[type(v) for v in row.values()] for row in got] == [[type(v) for v in row.values()] for row in wire]


async def test_columns_dicts_frame_and_stream_hold_the_same_candles(backbone: MarketDataBackbone) -> None:
    end = past_end()
    start = end - timedelta(hours=20)
    response = await backbone.get_candle_data("KRW-BTC", "1m", start_time=start, end_time=end)
    columns = response.candles

    assert isinstance(columns, CandleColumns) and len(columns) == response.metadata.data_count > 1000
    assert not columns.close.flags.writeable
    assert response.data == columns.to_upbit()
    frame = response.to_frame()
    assert np.array_equal(frame["trade_price"].to_numpy(), columns.close)
    utc = [row["candle_date_time_utc"] for row in response.data]
    assert [t.isoformat() for t in frame["candle_date_time_utc"]] == utc
    chunks = [c async for c in backbone.stream_candle_columns("KRW-BTC", "1m", start, end, Priority.LOW)]
    assert CandleColumns.concat(chunks).equals(columns)
    critical = await backbone.get_candle_data("KRW-BTC", "1m", count=300, end_time=end, priority=Priority.CRITICAL)
    assert critical.candles is not None and critical.candles.equals(columns.last(300))
    assert critical.data == columns.last(300).to_upbit()


async def test_other_answers_have_no_columns(backbone: MarketDataBackbone) -> None:
    response = await backbone.get_ticker_data(["KRW-BTC"])
    assert response.success and response.candles is None and len(response.data) == 1
