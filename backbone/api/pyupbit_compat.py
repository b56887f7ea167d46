"""A pyupbit-style facade over the backbone, so an existing script moves over by one import.

    from backbone.api import pyupbit_compat as pyupbit
    pyupbit.configure(rest_url=..., ws_url=...)        # optional; live Upbit by default
    df = pyupbit.get_ohlcv("KRW-BTC", interval="minute1", count=1000)
    price = pyupbit.get_current_price("KRW-BTC")

The functions return what pyupbit returns: ``get_ohlcv`` a DataFrame with
columns open, high, low, close, volume, value indexed by naive KST times in
ascending order; ``get_current_price`` a float (a dict for a list of tickers);
``get_orderbook`` Upbit's order book dict (a list for a list); ``get_tickers``
market codes. Errors give None, as pyupbit does, and are logged. The async
forms live on ``AsyncPyUpbit``; the sync ones run a backbone on a private
event loop thread.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import threading
from collections.abc import Coroutine
from datetime import datetime
from typing import Any, TypeVar

import pandas as pd

from backbone.api.backbone import MarketDataBackbone
from backbone.api.response import BackboneResponse
from backbone.domain.clock import KST
from backbone.domain.priority import Priority

log = logging.getLogger(__name__)
T = TypeVar("T")
_CLOSE_TIMEOUT_S = 10.0  # closing at exit never holds the interpreter longer than this

INTERVALS = {
    "day": "1d", "days": "1d", "minute1": "1m", "minutes1": "1m", "minute3": "3m", "minutes3": "3m",
    "minute5": "5m", "minutes5": "5m", "minute10": "10m", "minutes10": "10m", "minute15": "15m",
    "minutes15": "15m", "minute30": "30m", "minutes30": "30m", "minute60": "60m", "minutes60": "60m",
    "minute240": "240m", "minutes240": "240m", "week": "1w", "weeks": "1w", "month": "1M", "months": "1M",
}
_COLUMNS = {
    "opening_price": "open", "high_price": "high", "low_price": "low", "trade_price": "close",
    "candle_acc_trade_volume": "volume", "candle_acc_trade_price": "value",
}


def _failed(response: BackboneResponse) -> bool:
    if response.success:
        return False
    log.error("pyupbit-style call failed [%s]: %s", response.error_code, response.error)
    return True


def _to_time(to: str | datetime | pd.Timestamp | None) -> datetime | None:
    """pyupbit reads a naive ``to`` as local wall time; the exchange's wall time is KST."""
    if to is None:
        return None
    moment = pd.Timestamp(to).to_pydatetime()
    return moment if moment.tzinfo else moment.replace(tzinfo=KST)


class AsyncPyUpbit:
    """The async forms of pyupbit's quotation functions, on a running backbone."""

    def __init__(self, backbone: MarketDataBackbone, priority: Priority = Priority.NORMAL) -> None:
        self.backbone = backbone
        self.priority = priority

    async def get_ohlcv(
        self, ticker: str = "KRW-BTC", interval: str = "day", count: int = 200, to: Any = None
    ) -> pd.DataFrame | None:
        timeframe = INTERVALS.get(interval)
        if timeframe is None:
            log.error("interval %r is not one of: %s", interval, ", ".join(INTERVALS))
            return None
        response = await self.backbone.get_candle_data(
            ticker, timeframe, count=count, end_time=_to_time(to), priority=self.priority
        )
        if _failed(response):
            return None
        # pyupbit indexes by the zone-less KST wall clock.
        frame = response.to_frame()
        frame.index = pd.DatetimeIndex(frame["candle_date_time_kst"], name=None)
        return frame[list(_COLUMNS)].rename(columns=_COLUMNS)

    async def get_current_price(self, ticker: str | list[str] = "KRW-BTC") -> float | dict[str, float] | None:
        response = await self.backbone.get_ticker_data(ticker if isinstance(ticker, list) else [ticker], self.priority)
        if _failed(response):
            return None
        prices = {row["market"]: row["trade_price"] for row in response.data}
        return prices if isinstance(ticker, list) else prices.get(ticker.upper())

    async def get_orderbook(self, ticker: str | list[str] = "KRW-BTC") -> dict[str, Any] | list[dict[str, Any]] | None:
        response = await self.backbone.get_orderbook_data(ticker if isinstance(ticker, list) else [ticker], self.priority)
        if _failed(response):
            return None
        return response.data if isinstance(ticker, list) else response.data[0]

    async def get_tickers(self, fiat: str = "") -> list[str] | None:
        response = await self.backbone.list_markets()
        if _failed(response):
            return None
        return [row["market"] for row in response.data if row["market"].startswith(fiat)]


class _Runner:
    """A backbone living on its own event loop thread, for the sync functions."""

    def __init__(self) -> None:
        self.settings: dict[str, str | None] = {"rest_url": None, "ws_url": None, "db_url": None}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._api: AsyncPyUpbit | None = None
        self._lock = threading.Lock()

    def run(self, make: Any) -> Any:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                threading.Thread(target=self._loop.run_forever, name="pyupbit-compat", daemon=True).start()
                # A script that never calls close() must not leave an open session behind at exit.
                atexit.register(self.close)
                backbone = MarketDataBackbone(**self.settings)
                self._call(backbone.start())
                self._api = AsyncPyUpbit(backbone)
        assert self._api is not None
        return self._call(make(self._api))

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def close(self) -> None:
        with self._lock:
            if self._loop is not None and self._api is not None:
                asyncio.run_coroutine_threadsafe(self._api.backbone.stop(), self._loop).result(_CLOSE_TIMEOUT_S)
                self._loop.call_soon_threadsafe(self._loop.stop)
            if self._loop is not None:
                atexit.unregister(self.close)
            self._loop = None
            self._api = None


_runner = _Runner()


def configure(rest_url: str | None = None, ws_url: str | None = None, db_url: str | None = None) -> None:
    """Point the sync functions at an exchange (live Upbit by default) and a cache database."""
    _runner.close()
    _runner.settings = {"rest_url": rest_url, "ws_url": ws_url, "db_url": db_url}


def close() -> None:
    """Stop the background backbone (also fine to just exit)."""
    _runner.close()


def get_ohlcv(ticker: str = "KRW-BTC", interval: str = "day", count: int = 200, to: Any = None, period: float = 0.1) -> pd.DataFrame | None:
    """pyupbit.get_ohlcv; ``period`` is accepted and ignored (the backbone paces itself)."""
    return _runner.run(lambda api: api.get_ohlcv(ticker, interval, count, to))


def get_current_price(ticker: str | list[str] = "KRW-BTC") -> float | dict[str, float] | None:
    """pyupbit.get_current_price."""
    return _runner.run(lambda api: api.get_current_price(ticker))


def get_orderbook(ticker: str | list[str] = "KRW-BTC") -> dict[str, Any] | list[dict[str, Any]] | None:
    """pyupbit.get_orderbook."""
    return _runner.run(lambda api: api.get_orderbook(ticker))


def get_tickers(fiat: str = "") -> list[str] | None:
    """pyupbit.get_tickers."""
    return _runner.run(lambda api: api.get_tickers(fiat))
