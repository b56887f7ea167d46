"""pyupbit, an unmodified third-party Upbit client, works against the simulator."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import requests

from backbone.sim import ExchangeSimulator

UPBIT = "https://api.upbit.com/v1"


class _RedirectingRequests:
    """Stands in for the ``requests`` module inside pyupbit: same calls, our base URL."""

    def __init__(self, rest_url: str) -> None:
        self._rest_url = rest_url
        self._session = requests.Session()
        self._session.trust_env = False  # never route loopback through a proxy

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self._session.get(url.replace(UPBIT, self._rest_url), timeout=10, **kwargs)


@pytest.fixture
def pyupbit_against(simulator: ExchangeSimulator, monkeypatch: pytest.MonkeyPatch) -> Any:
    pyupbit = pytest.importorskip("pyupbit")
    monkeypatch.setattr(pyupbit.request_api, "requests", _RedirectingRequests(simulator.rest_url))
    return pyupbit


async def test_pyupbit_reads_markets_candles_and_prices(
    pyupbit_against: Any, simulator: ExchangeSimulator
) -> None:
    pyupbit = pyupbit_against
    tickers = await asyncio.to_thread(pyupbit.get_tickers, fiat="KRW")
    assert tickers == simulator.market_codes("KRW")
    frame = await asyncio.to_thread(pyupbit.get_ohlcv, "KRW-BTC", interval="minute1", count=300)
    assert frame is not None and len(frame) == 300
    assert frame.index.is_monotonic_increasing and not frame.index.has_duplicates
    assert (frame["high"] >= frame["low"]).all()
    days = await asyncio.to_thread(pyupbit.get_ohlcv, "KRW-ETH", interval="day", count=30)
    assert days is not None and len(days) == 30
    price = await asyncio.to_thread(pyupbit.get_current_price, "KRW-BTC")
    assert isinstance(price, float) and price > 1e7
    prices = await asyncio.to_thread(pyupbit.get_current_price, ["KRW-BTC", "KRW-ETH"])
    assert set(prices) == {"KRW-BTC", "KRW-ETH"}


async def test_ccxt_upbit_loads_markets_and_reads_quotes(simulator: ExchangeSimulator) -> None:
    ccxt = pytest.importorskip("ccxt")

    def work() -> tuple[int, float, list, int]:
        exchange = ccxt.upbit({"enableRateLimit": False})
        # ccxt builds every URL from these templates; only the host changes.
        base = simulator.rest_url.removesuffix("/v1")
        exchange.urls["api"] = dict.fromkeys(exchange.urls["api"], base)
        exchange.session.trust_env = False
        markets = exchange.load_markets()
        ticker = exchange.fetch_ticker("BTC/KRW")
        candles = exchange.fetch_ohlcv("BTC/KRW", "1m", limit=3)
        book = exchange.fetch_order_book("ETH/KRW")
        return len(markets), ticker["last"], candles, len(book["bids"])

    count, last, candles, depth = await asyncio.to_thread(work)
    assert count == len(simulator.market_codes())
    assert last > 1e7 and len(candles) == 3 and depth == 30
    assert [c[0] for c in candles] == sorted(c[0] for c in candles)
