"""Ways users reach the backbone: DataFrames, subscriptions, the pyupbit facade, the CLI."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from backbone import MarketDataBackbone, Priority
from backbone.api.pyupbit_compat import AsyncPyUpbit


async def test_candles_to_frame_is_indexed_by_utc_time(backbone: MarketDataBackbone) -> None:
    response = await backbone.get_candle_data("KRW-BTC", "1h", count=48)
    frame = response.to_frame()
    assert len(frame) == 48
    assert frame.index.is_monotonic_increasing
    assert str(frame.index.tz) == "UTC"
    assert {"opening_price", "trade_price", "candle_acc_trade_volume"} <= set(frame.columns)


async def test_ticker_subscription_yields_live_updates(backbone: MarketDataBackbone) -> None:
    async with backbone.subscribe_ticker(["KRW-BTC"]) as stream:
        first = await asyncio.wait_for(anext(stream), 10)
    assert first["market"] == "KRW-BTC" and first["trade_price"] > 0


async def test_async_pyupbit_facade_matches_pyupbit_shapes(backbone: MarketDataBackbone) -> None:
    api = AsyncPyUpbit(backbone)
    frame = await api.get_ohlcv("KRW-BTC", interval="minute1", count=300)
    assert isinstance(frame, pd.DataFrame) and len(frame) == 300
    assert list(frame.columns) == ["open", "high", "low", "close", "volume", "value"]
    assert frame.index.is_monotonic_increasing and frame.index.tz is None
    price = await api.get_current_price("KRW-BTC")
    assert isinstance(price, float) and price > 0
    prices = await api.get_current_price(["KRW-BTC", "KRW-ETH"])
    assert isinstance(prices, dict) and set(prices) == {"KRW-BTC", "KRW-ETH"}
    book = await api.get_orderbook("KRW-BTC")
    assert isinstance(book, dict) and book["orderbook_units"]
    tickers = await api.get_tickers("KRW")
    assert tickers and all(t.startswith("KRW-") for t in tickers)
    assert await api.get_ohlcv("KRW-BTC", interval="minute7") is None


def test_sync_pyupbit_facade_runs_on_its_own_loop(simulator_in_thread: Any, tmp_path: Path) -> None:
    from backbone.api import pyupbit_compat as pyupbit

    pyupbit.configure(simulator_in_thread.rest_url, simulator_in_thread.ws_url, str(tmp_path / "compat.sqlite"))
    try:
        frame = pyupbit.get_ohlcv("KRW-ETH", "day", count=30)
        assert frame is not None and len(frame) == 30
        assert pyupbit.get_current_price("KRW-ETH") > 0
    finally:
        pyupbit.close()


def test_cli_fetch_candles_as_json(tmp_path: Path) -> None:
    out = tmp_path / "candles.json"
    env = {"UPBIT_BACKBONE_DB": str(tmp_path / "cli.sqlite")}
    result = subprocess.run(
        [sys.executable, "main.py", "--source", "sim", "fetch", "candles", "KRW-BTC", "1m", "--count", "250",
         "--format", "json", "--output", str(out)],
        capture_output=True, text=True, timeout=60, env={**_base_env(), **env}, check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(out.read_text())
    assert len(rows) == 250 and rows[0]["market"] == "KRW-BTC"


def test_cli_reports_bad_input_clearly(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "main.py", "--source", "sim", "fetch", "candles", "KRW-BTC", "2m", "--count", "5"],
        capture_output=True, text=True, timeout=60,
        env={**_base_env(), "UPBIT_BACKBONE_DB": str(tmp_path / "cli.sqlite")}, check=False,
    )
    assert result.returncode == 1
    assert "INVALID_TIMEFRAME" in result.stderr and "2m" in result.stderr


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items()}


async def test_stream_candle_data_yields_contiguous_ascending_chunks(backbone: MarketDataBackbone) -> None:
    from datetime import UTC, datetime, timedelta

    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    seen: list[str] = []
    async for chunk in backbone.stream_candle_data("KRW-BTC", "1m", end - timedelta(hours=12), end, Priority.LOW):
        seen.extend(row["candle_date_time_utc"] for row in chunk)
    assert seen == sorted(seen) and len(seen) == len(set(seen)) > 600


def test_cli_talks_to_an_exchange_given_by_url(simulator_in_thread: Any, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "main.py", "--rest-url", simulator_in_thread.rest_url, "--ws-url", simulator_in_thread.ws_url,
         "fetch", "tickers", "KRW-BTC", "KRW-ETH", "--format", "json"],
        capture_output=True, text=True, timeout=60,
        env={**_base_env(), "UPBIT_BACKBONE_DB": str(tmp_path / "cli.sqlite")}, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert {row["market"] for row in json.loads(result.stdout)} == {"KRW-BTC", "KRW-ETH"}
    assert simulator_in_thread.stats.calls["ticker"] >= 1
