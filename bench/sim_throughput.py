"""How fast the simulator answers on this machine, with rate limits off.

Several concurrent aiohttp clients hammer one endpoint each for a few seconds;
the figures are answers per second and latency percentiles. Also the in-process
cost of one 200-candle minute page and the size of what the simulator serves.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from backbone.sim import ExchangeSimulator
from backbone.sim.rest import RestApi
from backbone.sim.websocket import TYPES


async def _hammer(
    session: aiohttp.ClientSession,
    make_url: Callable[[random.Random], str],
    seconds: float,
    clients: int,
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client(index: int) -> None:
        nonlocal errors
        rng = random.Random(index)
        while time.perf_counter() < deadline:
            url = make_url(rng)
            start = time.perf_counter()
            async with session.get(url) as response:
                await response.read()
                if response.status != 200:
                    errors += 1
            latencies.append((time.perf_counter() - start) * 1000.0)

    began = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 2),
        "errors": errors,
    }


def _page_cpu_us(sim: ExchangeSimulator, repeats: int) -> dict[str, float]:
    now = int(time.time() * 1000)
    market = sim.catalogue.get("KRW-BTC")
    assert market is not None
    to = now - 3_600_000
    sim.candles.minutes(market, 1, to, 200, now)  # warm the day's minutes
    start = time.process_time()
    for _ in range(repeats):
        sim.candles.minutes(market, 1, to, 200, now)
    page = (time.process_time() - start) / repeats * 1e6
    markets = [m for m in sim.catalogue.markets if m.quote == "KRW"]
    start = time.process_time()
    for m in markets:
        sim.quotes.ticker(m, now)
    tickers = (time.process_time() - start) * 1e3
    return {"minute_page_200_cpu_us": round(page, 1), "ticker_all_krw_cpu_ms": round(tickers, 2)}


async def run(quick: bool = False) -> dict[str, Any]:
    """Measure and return the figures (JSON-serialisable)."""
    seconds = 1.5 if quick else 5.0
    clients = 8
    async with ExchangeSimulator(latency_ms=0.0, jitter_ms=0.0, rate_limit_enabled=False) as sim:
        codes = sim.market_codes("KRW")
        base = sim.rest_url
        hour_ms = 3_600_000

        def candle_url(rng: random.Random) -> str:
            to = int(time.time() * 1000) - rng.randrange(0, 48) * hour_ms
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(to / 1000))
            return f"{base}/candles/minutes/1?market={rng.choice(codes[:20])}&count=200&to={stamp}"

        connector = aiohttp.TCPConnector(limit=clients)
        async with aiohttp.ClientSession(connector=connector) as session:
            # Warm the caches the way a running app would have.
            async with session.get(f"{base}/ticker/all?quote_currencies=KRW,BTC,USDT") as response:
                await response.read()
            figures: dict[str, Any] = {
                "candles_minutes_200": await _hammer(session, candle_url, seconds, clients),
                "ticker_all_krw": await _hammer(
                    session, lambda rng: f"{base}/ticker/all?quote_currencies=KRW", seconds, clients
                ),
                "ticker_one": await _hammer(
                    session,
                    lambda rng: f"{base}/ticker?markets={rng.choice(codes)}",
                    seconds,
                    clients,
                ),
            }
        figures.update(_page_cpu_us(sim, 50 if quick else 300))
        figures["clients"] = clients
        figures["markets"] = {q: len(sim.market_codes(q)) for q in ("KRW", "BTC", "USDT")}
        figures["rest_endpoints"] = len(RestApi.routes(sim.rest))
        figures["stream_types"] = list(TYPES)
    return figures


def main() -> None:
    figures = asyncio.run(run())
    print("Simulator throughput (rate limits off, 8 concurrent aiohttp clients)")
    print(f"{'scenario':<22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for name in ("candles_minutes_200", "ticker_all_krw", "ticker_one"):
        row = figures[name]
        print(
            f"{name:<22}{row['per_second']:>10}{row['p50_ms']:>10}{row['p99_ms']:>10}{row['errors']:>8}"
        )
    print(f"one 200-candle minute page: {figures['minute_page_200_cpu_us']} us CPU (warm)")
    print(f"190 KRW tickers in-process: {figures['ticker_all_krw_cpu_ms']} ms CPU (warm)")
    print(f"markets by quote: {figures['markets']}")
    print(
        f"REST endpoints: {figures['rest_endpoints']}; stream types: {', '.join(figures['stream_types'])}"
    )


if __name__ == "__main__":
    main()
