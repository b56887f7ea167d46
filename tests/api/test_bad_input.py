"""Every bad input is answered with a stable code and a message naming the value; nothing raises."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import pytest

from backbone import MarketDataBackbone
from backbone.sim import ExchangeSimulator


@pytest.mark.parametrize(
    ("call", "code", "mentions"),
    [
        (lambda bb: bb.get_candle_data("KRW-NOPE", "1m", count=10), "INVALID_SYMBOL", "KRW-NOPE"),
        (lambda bb: bb.get_candle_data("btc", "1m", count=10), "INVALID_SYMBOL", "btc"),
        (lambda bb: bb.get_candle_data(42, "1m", count=10), "INVALID_SYMBOL", "42"),
        (lambda bb: bb.get_candle_data("KRW-BTC", "7m", count=10), "INVALID_TIMEFRAME", "7m"),
        (lambda bb: bb.get_candle_data("KRW-BTC", "1m", count=0), "INVALID_COUNT", "0"),
        (lambda bb: bb.get_candle_data("KRW-BTC", "1m", count="ten"), "INVALID_COUNT", "ten"),
        (lambda bb: bb.get_candle_data("KRW-BTC", "1m", start_time="2024-02-01", end_time="2024-01-01"), "INVALID_RANGE", "2024-01"),
        (lambda bb: bb.get_candle_data("KRW-BTC", "1m", start_time="yesterday"), "INVALID_RANGE", "yesterday"),
        (lambda bb: bb.get_candle_data("KRW-BTC", "1m", count=5, start_time="2024-01-01"), "INVALID_RANGE", "count"),
        (lambda bb: bb.get_candle_data("KRW-BTC", "1m", start_time=datetime.now() + timedelta(days=2)), "INVALID_RANGE", "future"),
        (lambda bb: bb.get_candle_data("KRW-BTC", "1m", count=5, priority="urgent"), "INVALID_PRIORITY", "urgent"),
        (lambda bb: bb.get_ticker_data([], priority="high"), "INVALID_SYMBOL", "empty"),
        (lambda bb: bb.get_ticker_data(["KRW-BTC", "KRW-NOPE"]), "INVALID_SYMBOL", "KRW-NOPE"),
        (lambda bb: bb.get_orderbook_data(["KRW-NOPE"], priority="critical"), "INVALID_SYMBOL", "KRW-NOPE"),
        (lambda bb: bb.get_trade_data("KRW-BTC", count=-3), "INVALID_COUNT", "-3"),
        # An endless iterable is read up to the limit, never forever.
        (lambda bb: bb.get_ticker_data(itertools.repeat("KRW-BTC")), "INVALID_SYMBOL", "at most 500"),
        (lambda bb: bb.get_orderbook_data(itertools.cycle(["KRW-BTC", "KRW-ETH"]), priority="critical"), "INVALID_SYMBOL", "at most 500"),
        # Far-off dates overflow calendar arithmetic: refused with the allowed span.
        (lambda bb: bb.get_candle_data("KRW-BTC", "1d", start_time="2024-01-01", end_time="9999-12-31"), "INVALID_RANGE", "2100-01-01"),
        (lambda bb: bb.get_candle_data("KRW-BTC", "1M", start_time="2024-01-01", end_time="9999-12-31"), "INVALID_RANGE", "end_time"),
        (lambda bb: bb.get_candle_data("KRW-BTC", "1m", start_time="0001-01-01"), "INVALID_RANGE", "2000-01-01"),
        (lambda bb: bb.get_candle_data("KRW-BTC", "1m", count=5, end_time=datetime(9999, 12, 31, 23, 59)), "INVALID_RANGE", "end_time"),
        (lambda bb: bb.get_trade_data("KRW-BTC", start_time="0001-01-01"), "INVALID_RANGE", "start_time"),
        # CRITICAL serves a live bot's recent candles, bounded; history belongs on HIGH or NORMAL.
        (lambda bb: bb.get_candle_data("KRW-BTC", "1m", count=2_000_000, priority="critical"), "INVALID_COUNT", "1000"),
        (lambda bb: bb.get_candle_data("KRW-BTC", "1m", start_time="2024-01-01", end_time="2024-02-01", priority="critical"), "INVALID_RANGE", "1000"),
    ],
)
async def test_bad_input_gets_its_code(
    simulator: ExchangeSimulator, backbone: MarketDataBackbone, call: Any, code: str, mentions: str
) -> None:
    calls = simulator.stats.calls["candle"]
    response = await call(backbone)
    assert simulator.stats.calls["candle"] == calls  # refused at the door, before any exchange call
    assert not response.success
    assert response.data == []
    assert response.error_code == code
    assert mentions in (response.error or "")


async def test_exchange_failures_become_codes_not_exceptions(make_simulator: Any, make_backbone: Any) -> None:
    from backbone.sim import Faults

    sim = await make_simulator()
    bb: MarketDataBackbone = await make_backbone(sim)
    sim.set_faults(Faults(rate_503=1.0))
    response = await bb.get_candle_data("KRW-BTC", "1m", count=10)
    assert not response.success
    assert response.error_code == "UPSTREAM_UNAVAILABLE"
    sim.clear_faults()
    again = await bb.get_candle_data("KRW-BTC", "1m", count=10)
    assert again.success, again.error


def test_an_endless_iterable_of_symbols_for_a_subscription_is_refused_at_the_limit(
    backbone: MarketDataBackbone,
) -> None:
    from backbone.domain.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="at most 500") as caught:
        backbone.subscribe_ticker(itertools.repeat("KRW-BTC"))
    assert caught.value.code == "INVALID_SYMBOL" and caught.value.field == "symbols"
