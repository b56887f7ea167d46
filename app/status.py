"""``python main.py status``: what a separate process can honestly say about the app's world.

The command runs in its own process, so it cannot see the running app's requests,
latencies or cache (those live in the app's System monitor tab). It reports what it
can check itself: the exchange (one call, its round trip, and the rate budget the
exchange's ``Remaining-Req`` answer leaves), the WebSocket (connect and wait for one
update), and the database (writable, its size on disk and the candles it holds).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from backbone import MarketDataBackbone
from backbone.storage.engine import sqlite_file

WS_PROBE_TIMEOUT_S = 5.0
SCOPE = (
    "Checked by this command in its own process: the exchange, its WebSocket and the database. "
    "The running app's requests, latencies and cache are not visible from here; see its System monitor tab."
)


async def status_report(backbone: MarketDataBackbone) -> dict[str, Any]:
    """The report as a JSON-ready dict; ``ok`` is true when all three checks pass."""
    health = await backbone.health()
    exchange: dict[str, Any] = {"source": health["source"], "rest_url": health["rest_url"]}
    if health["exchange"]["ok"]:
        exchange |= {"reachable": True, "round_trip_ms": health["exchange"]["latency_ms"]}
        budget = backbone.metrics_snapshot().rate_budget
        exchange["rate_budget_after_this_check"] = {
            group: {"limit_per_s": b["limit_per_s"], "available_now": b["available"]} for group, b in budget.items()
        }
    else:
        exchange |= {"reachable": False, "error": health["exchange"]["error"]}
    websocket = await probe_websocket(backbone) if exchange["reachable"] else {
        "reachable": False, "error": "not tried: the exchange is unreachable"
    }
    database = await database_report(backbone, health["database"])
    return {
        "scope": SCOPE,
        "exchange": exchange,
        "websocket": websocket,
        "database": database,
        "ok": bool(exchange["reachable"] and websocket["reachable"] and database.get("writable")),
    }


async def probe_websocket(backbone: MarketDataBackbone, timeout_s: float = WS_PROBE_TIMEOUT_S) -> dict[str, Any]:
    """Subscribe to one market's ticker and wait for its first update."""
    markets = (await backbone.list_markets()).data
    if not markets:
        return {"url": backbone.ws_url, "reachable": False, "error": "the exchange lists no market to subscribe to"}
    market = next((m["market"] for m in markets if m["market"] == "KRW-BTC"), markets[0]["market"])
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout_s), backbone.subscribe_ticker([market]) as stream:
            async for _update in stream:
                break
    except TimeoutError:
        return {"url": backbone.ws_url, "reachable": False, "error": f"no {market} ticker update within {timeout_s:.0f} s"}
    elapsed = (time.perf_counter() - started) * 1000
    return {"url": backbone.ws_url, "reachable": True, "first_update_ms": round(elapsed, 1), "market": market}


async def database_report(backbone: MarketDataBackbone, health: dict[str, Any]) -> dict[str, Any]:
    """Whether the database takes writes, its size on disk, and the candles stored per series."""
    if not health["ok"]:
        return {"writable": False, "error": health.get("error", "not writable")}
    url = health["url"]
    series = await backbone.storage_report()
    report: dict[str, Any] = {
        "url": url,
        "writable": True,
        "size_on_disk_bytes": await asyncio.to_thread(_sqlite_bytes, sqlite_file(url)),
        "markets": len({s["market"] for s in series}),
        "candles": sum(s["candles"] for s in series),
        "series": series,
    }
    if report["size_on_disk_bytes"] is None:
        report["size_note"] = "not measured: the database is not a local SQLite file"
    return report


def _sqlite_bytes(path: Path | None) -> int | None:
    """The database file plus its write-ahead log, as SQLite keeps them."""
    if path is None:
        return None
    files = [path, path.with_name(path.name + "-wal")]
    return sum(f.stat().st_size for f in files if f.exists())
