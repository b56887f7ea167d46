"""The same history through other Upbit clients, pointed at the simulator, unmodified.

* pyupbit: ``get_ohlcv(count=N, to=...)``, its own loop of 200-candle pages
  backwards with ``time.sleep(period)`` between them. Only the host changes: the
  ``requests`` module inside ``pyupbit.request_api`` is swapped for one that
  rewrites ``https://api.upbit.com/v1`` to the simulator's base.
* ccxt (async): ``fetch_ohlcv(since=..., limit=200)`` paged forwards the way its
  documentation shows (``since = last candle + 1 minute``), ``enableRateLimit``
  on (ccxt's default). Only ``exchange.urls['api']`` changes.

Both run on a fresh simulator process with the same seed, one after the other,
so neither shares a rate limit with anyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from bench.simproc import SimCounts, SimProcess

UPBIT_REST = "https://api.upbit.com/v1"
MINUTE_MS = 60_000
PAGE = 200


class _RedirectingRequests:
    """Stands in for ``requests`` inside pyupbit: the same calls, sent to our base URL."""

    def __init__(self, rest_url: str) -> None:
        import requests

        self._rest_url = rest_url
        self._session = requests.Session()
        self._session.trust_env = False  # never send loopback through a proxy

    def get(self, url: str, **kwargs: Any) -> Any:
        return self._session.get(url.replace(UPBIT_REST, self._rest_url), timeout=30, **kwargs)


@contextlib.contextmanager
def pyupbit_pointed_at(rest_url: str) -> Iterator[Any]:
    """pyupbit, with its HTTP calls going to ``rest_url`` while the block runs."""
    import pyupbit

    original = pyupbit.request_api.requests
    pyupbit.request_api.requests = _RedirectingRequests(rest_url)
    try:
        yield pyupbit
    finally:
        pyupbit.request_api.requests = original


def _figures(wall: float, counts: SimCounts, candles: int, first: Any, last: Any, error: str | None) -> dict[str, Any]:
    return {
        "wall_s": round(wall, 3),
        "calls": counts.calls.get("candle", 0),
        "calls_all_groups": counts.total,
        "status_429": counts.statuses.get(429, 0),
        "status_418": counts.statuses.get(418, 0),
        "candles": candles,
        "first": str(first) if first is not None else None,
        "last": str(last) if last is not None else None,
        "error": error,
    }


async def pyupbit_backfill(sim: SimProcess, count: int, end: datetime) -> dict[str, Any]:
    """``pyupbit.get_ohlcv('KRW-BTC', 'minute1', count, to=end)``: wall time and calls."""
    to = end.astimezone(UTC).replace(tzinfo=None)  # pyupbit sends naive times, which Upbit reads as UTC

    def work() -> Any:
        with pyupbit_pointed_at(sim.rest_url) as pyupbit:
            return pyupbit.get_ohlcv("KRW-BTC", interval="minute1", count=count, to=to)

    before = await sim.stats()
    started = time.perf_counter()
    frame = await asyncio.to_thread(work)
    wall = time.perf_counter() - started
    counts = (await sim.stats()).minus(before)
    if frame is None:
        # pyupbit swallows every exception and returns None (a 429 among them)
        return _figures(wall, counts, 0, None, None, "get_ohlcv returned None (pyupbit hides the exception)")
    return _figures(wall, counts, len(frame), frame.index.min(), frame.index.max(), None)


async def ccxt_backfill(sim: SimProcess, start: datetime, end: datetime) -> dict[str, Any]:
    """ccxt async ``fetch_ohlcv('BTC/KRW', '1m', since, 200)`` paged over ``[start, end)``."""
    import ccxt.async_support as ccxt_async

    exchange = ccxt_async.upbit({"enableRateLimit": True})
    base = sim.rest_url.removesuffix("/v1")
    # ccxt builds every URL as urls['api'][section] + '/v1/' + path; only the host changes.
    exchange.urls["api"] = dict.fromkeys(exchange.urls["api"], base)
    rows: list[list[Any]] = []
    error: str | None = None
    try:
        await exchange.load_markets()
        before = await sim.stats()
        started = time.perf_counter()
        since = int(start.timestamp() * 1000)
        end_ms = int(end.timestamp() * 1000)
        try:
            while since < end_ms:
                page = await exchange.fetch_ohlcv("BTC/KRW", "1m", since=since, limit=PAGE)
                page = [row for row in page if row[0] < end_ms]
                if page:
                    rows.extend(page)
                    since = int(page[-1][0]) + MINUTE_MS
                else:
                    since += PAGE * MINUTE_MS
        except Exception as failure:  # report what the peer does, whatever it raises
            error = f"{type(failure).__name__}: {failure}"
        wall = time.perf_counter() - started
        counts = (await sim.stats()).minus(before)
    finally:
        await exchange.close()
    first = datetime.fromtimestamp(rows[0][0] / 1000, UTC) if rows else None
    last = datetime.fromtimestamp(rows[-1][0] / 1000, UTC) if rows else None
    unique = len({row[0] for row in rows})
    figures = _figures(wall, counts, unique, first, last, error)
    figures["duplicates"] = len(rows) - unique
    return figures
