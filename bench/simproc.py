"""A simulator in its own process, so the clients being measured do not share its CPU or GIL.

Every benchmark that compares clients starts a fresh one (same seed, so the same
data) and counts what it answered through the control endpoint ``/_sim/stats``.

    async with SimProcess(latency_ms=30, jitter_ms=5) as sim:
        sim.rest_url, sim.ws_url
        before = await sim.stats(); ...; after = await sim.stats()
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp

REST_LINE = re.compile(r"REST\s+(http://\S+)/v1")
START_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class SimCounts:
    """What the simulator had answered at one moment."""

    calls: dict[str, int]
    statuses: dict[int, int]
    total: int

    def minus(self, earlier: SimCounts) -> SimCounts:
        """The answers given between ``earlier`` and this reading."""
        calls = {k: v - earlier.calls.get(k, 0) for k, v in self.calls.items()}
        statuses = {k: v - earlier.statuses.get(k, 0) for k, v in self.statuses.items()}
        return SimCounts(
            {k: v for k, v in calls.items() if v},
            {k: v for k, v in statuses.items() if v},
            self.total - earlier.total,
        )


class SimProcess:
    """``python -m backbone.sim`` on a free loopback port, with Upbit's rate limits."""

    def __init__(
        self,
        *,
        latency_ms: float = 30.0,
        jitter_ms: float = 5.0,
        seed: int = 7,
        rate_window_s: float | None = None,
    ) -> None:
        self.latency_ms = latency_ms
        self.rate_window_s = rate_window_s  # None: the simulator's default window
        self.jitter_ms = jitter_ms
        self.seed = seed
        self.base_url = ""
        self._process: asyncio.subprocess.Process | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def rest_url(self) -> str:
        return f"{self.base_url}/v1"

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/websocket/v1"

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    async def start(self) -> None:
        """Spawn the server and wait until it answers."""
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "backbone.sim", "--host", "127.0.0.1", "--port", "0",
            "--latency-ms", str(self.latency_ms), "--jitter-ms", str(self.jitter_ms),
            "--seed", str(self.seed),
            *([] if self.rate_window_s is None else ["--rate-window-s", str(self.rate_window_s)]),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self._process.stdout is not None
        async with asyncio.timeout(START_TIMEOUT_S):
            while True:
                line = (await self._process.stdout.readline()).decode()
                if not line:
                    raise RuntimeError("the simulator process exited before it served")
                found = REST_LINE.search(line)
                if found:
                    self.base_url = found.group(1)
                    break
        self._session = aiohttp.ClientSession(trust_env=False)
        await self._settle()

    async def _settle(self) -> None:
        # The server fills today's minutes of every market in the background at start;
        # one ticker/all waits for that, so no measurement pays for it.
        assert self._session is not None
        url = f"{self.rest_url}/ticker/all?quote_currencies=KRW,BTC,USDT"
        async with self._session.get(url) as answer:
            await answer.read()
        await asyncio.sleep(1.1)  # a fresh rate-limit second for whoever comes next

    async def stats(self) -> SimCounts:
        """The simulator's counters, read over its loopback-only control endpoint."""
        assert self._session is not None
        async with self._session.get(f"{self.base_url}/_sim/stats") as answer:
            data: dict[str, Any] = await answer.json()
        return SimCounts(
            {str(k): int(v) for k, v in data["calls"].items()},
            {int(k): int(v) for k, v in data["statuses"].items()},
            int(data["total"]),
        )

    async def set_faults(self, **faults: Any) -> None:
        """Switch faults on (fields of ``backbone.sim.Faults``)."""
        assert self._session is not None
        async with self._session.post(f"{self.base_url}/_sim/faults", json=faults) as answer:
            answer.raise_for_status()

    async def stop(self) -> None:
        """Terminate the server; idempotent."""
        if self._session is not None:
            await self._session.close()
            self._session = None
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()

    async def __aenter__(self) -> SimProcess:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.stop()
