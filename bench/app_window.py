"""The whole app, offscreen, on the in-process simulator at a realistic 30 ms: for UI benches."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

TICK_S = 0.010  # the loop is sampled this often; a late sample is a stall the user feels

if TYPE_CHECKING:
    from app.panels import Panels
    from ui.main_window import MainWindow


@contextlib.asynccontextmanager
async def running_app(database_name: str) -> AsyncIterator[tuple[MainWindow, Panels]]:
    """A shown 1280x820 window whose panels have started, as ``--source sim`` opens it;
    everything is stopped and the database deleted afterwards."""
    from app.panels import build_panels
    from backbone import MarketDataBackbone
    from backbone.sim import ExchangeSimulator
    from bench.common import own_process_load
    from ui.main_window import MainWindow

    sim = ExchangeSimulator(port=0, latency_ms=30, jitter_ms=5)
    await sim.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            # The load guard reads this process's own load, as in every benchmark: on a shared
            # machine the system-wide reading would hold LOW work back for strangers' jobs.
            backbone = MarketDataBackbone(
                sim.rest_url, sim.ws_url, str(Path(folder) / database_name), load_sampler=own_process_load
            )
            await backbone.start()
            panels = build_panels(backbone)
            window = MainWindow(backbone, "SIMULATED DATA", panels.tabs)
            window.resize(1280, 820)
            window.show()
            panels.start()
            try:
                yield window, panels
            finally:
                await panels.stop()
                window.close()
                await backbone.stop()
    finally:
        await sim.stop()


async def measure_in_child(module: str, *arguments: str) -> dict[str, Any]:
    """Run ``python -m module --json ...`` offscreen and read the figures it prints last.

    A UI bench measures in a process of its own: qasync must own that process's loop.
    """
    command = [sys.executable, "-m", module, "--json", *arguments]
    child = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    out, _ = await child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"{module} exited with {child.returncode}")
    return dict(json.loads(out.decode().strip().splitlines()[-1]))


async def watch_loop(lags: list[float], stop: asyncio.Event) -> None:
    """Append how late (ms) each ``TICK_S`` sleep wakes, until ``stop`` is set."""
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(TICK_S)
        lags.append((time.perf_counter() - before - TICK_S) * 1000)
