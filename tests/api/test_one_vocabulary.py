"""One vocabulary: a bad market code gets the same error code and field name at every door."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backbone import InvalidInputError, MarketDataBackbone
from backbone.coordinator import CandleRequest
from backbone.router import SmartRouter
from backbone.sim import ExchangeSimulator
from backbone.storage import MarketStore

T0 = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("market", ["KRW BTC", "btc", "", 42])
async def test_every_door_refuses_a_bad_market_with_invalid_symbol(
    market: object, simulator: ExchangeSimulator, backbone: MarketDataBackbone, tmp_path: Path
) -> None:
    response = await backbone.get_candle_data(market, "1m", count=5)  # type: ignore[arg-type]
    assert (response.error_code, response.success) == ("INVALID_SYMBOL", False)

    with pytest.raises(InvalidInputError) as request:
        CandleRequest(market, "1m", count=5)  # type: ignore[arg-type]
    async with SmartRouter(simulator.rest_url, simulator.ws_url) as router:
        with pytest.raises(InvalidInputError) as routed:
            await router.fetch_candles(market, "1m", count=5)  # type: ignore[arg-type]
    async with MarketStore(tmp_path / "s.sqlite3") as store:
        with pytest.raises(InvalidInputError) as stored:
            await store.read_candles(market, "1m", T0, T0 + timedelta(minutes=1))  # type: ignore[arg-type]

    for caught in (request, routed, stored):
        assert caught.value.code == "INVALID_SYMBOL" and caught.value.field == "market"
        assert "KRW-BTC" in caught.value.message  # says what is allowed
