"""Where market data comes from: live Upbit, or the built-in simulator when Upbit is unreachable."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import aiohttp

from backbone import LIVE_REST_URL, LIVE_WS_URL
from backbone.sim import ExchangeSimulator

log = logging.getLogger(__name__)

SOURCES = ("auto", "live", "sim")
PROBE_TIMEOUT_S = 3.0


@dataclass(slots=True)
class DataSource:
    """The exchange the app talks to, and the simulator it owns when simulated."""

    kind: str  # "live", "sim" (the built-in simulator) or "url" (an exchange at given URLs)
    rest_url: str
    ws_url: str
    simulator: ExchangeSimulator | None = None
    note: str = ""

    @property
    def label(self) -> str:
        """What the status bar shows."""
        if self.kind == "live":
            return "LIVE Upbit"
        if self.kind == "url":
            return f"EXCHANGE AT {self.rest_url}"
        return f"SIMULATED DATA ({self.rest_url})"

    async def close(self) -> None:
        if self.simulator is not None:
            await self.simulator.stop()


async def live_reachable(timeout_s: float = PROBE_TIMEOUT_S) -> bool:
    """True when Upbit's market list answers within ``timeout_s``."""
    try:
        timeout = aiohttp.ClientTimeout(total=timeout_s)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(f"{LIVE_REST_URL}/market/all") as answer:
                return answer.status == 200
    except (aiohttp.ClientError, TimeoutError, OSError):
        return False


async def open_source(
    kind: str,
    *,
    rest_url: str | None = None,
    ws_url: str | None = None,
    sim_port: int = 0,
    sim_latency_ms: float = 5.0,
) -> DataSource:
    """Resolve ``auto``/``live``/``sim`` to a running source (starting the simulator if needed).

    Explicit ``rest_url`` and ``ws_url`` (say, a simulator served by ``main.py sim``)
    take precedence over ``kind``.
    """
    if rest_url or ws_url:
        if not (rest_url and ws_url):
            raise ValueError("--rest-url and --ws-url go together: pass both")
        return DataSource("url", rest_url.rstrip("/"), ws_url)
    if kind not in SOURCES:
        raise ValueError(f"source {kind!r} is not one of: {', '.join(SOURCES)}")
    if kind == "live":
        return DataSource("live", LIVE_REST_URL, LIVE_WS_URL)
    note = ""
    if kind == "auto":
        if await live_reachable():
            return DataSource("live", LIVE_REST_URL, LIVE_WS_URL)
        note = f"Upbit did not answer within {PROBE_TIMEOUT_S:.0f} s; using the built-in simulator"
        log.warning(note)
    simulator = ExchangeSimulator(port=sim_port, latency_ms=sim_latency_ms, jitter_ms=sim_latency_ms / 2)
    await simulator.start()
    return DataSource("sim", simulator.rest_url, simulator.ws_url, simulator, note)


async def wait_forever() -> None:
    """Sleep until cancelled (for ``main.py sim``)."""
    await asyncio.Event().wait()
