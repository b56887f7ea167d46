"""How long the window freezes when the user switches to the Screener (and Markets) tab.

Opens the whole app offscreen on a qasync loop (simulator in-process at 30 ms latency),
waits until the screener and markets tables hold live prices, then switches tabs
``ROUNDS`` times: each switch is timed from ``setCurrentWidget`` until Qt has painted the
tab (a forced synchronous repaint), which is the stall the user feels.
Tickers keep refreshing meanwhile, as in real use. Then, with the screener shown, the
loop is sampled every 10 ms over three ticker refreshes: a late sample is a stall.

    python -m bench.tab_switch_bench [--rounds N]     (or: python -m bench tab_switch)
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any

import numpy as np

from bench.app_window import measure_in_child, running_app, watch_loop
from bench.ui_stall_bench import print_figures

ROUNDS = 20


async def _measure(rounds: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"rounds": rounds}
    async with running_app("switch.sqlite") as (window, panels):
        for _ in range(300):  # up to 30 s for the first prices in both lists
            if all(panels.panel(i).is_ready() for i in (0, 2)):
                break
            await asyncio.sleep(0.1)
        backtest = panels.widget("Backtest")
        for title in ("Screener", "Markets"):
            target = panels.widget(title)
            samples = []
            for _ in range(rounds):
                window.tabs.setCurrentWidget(backtest)
                window.repaint()
                await asyncio.sleep(0.1)
                started = time.perf_counter()
                window.tabs.setCurrentWidget(target)
                window.repaint()  # lays out and paints the tab now, as showing it on screen does
                samples.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.1)
            values = np.array(samples)
            key = title.lower()
            figures[f"{key}_switch_p50_ms"] = round(float(np.percentile(values, 50)), 1)
            figures[f"{key}_switch_max_ms"] = round(float(values.max()), 1)
        figures |= await _refresh_stalls(window, panels.widget("Screener"))
    return figures


async def _refresh_stalls(window: Any, screener: Any, refreshes: int = 3) -> dict[str, Any]:
    """Loop lateness while the visible screener takes ``refreshes`` ticker refreshes."""
    window.tabs.setCurrentWidget(screener)
    done = asyncio.Event()
    seen: list[int] = []

    def count(_changed: int) -> None:
        seen.append(1)
        if len(seen) >= refreshes:
            done.set()

    screener.refreshed.connect(count)
    lags: list[float] = []
    stop = asyncio.Event()
    watcher = asyncio.ensure_future(watch_loop(lags, stop))
    await asyncio.wait_for(done.wait(), 60)
    stop.set()
    await watcher
    values = np.array(lags)
    return {
        "screener_refreshes_watched": len(seen),
        "screener_refresh_stall_p99_ms": round(float(np.percentile(values, 99)), 1),
        "screener_refresh_stall_max_ms": round(float(values.max()), 1),
    }


def measure(rounds: int = ROUNDS) -> dict[str, Any]:
    """Run the measurement on a qasync loop in this process."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PyQt6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv)
    app.setQuitOnLastWindowClosed(False)
    return qasync.run(_measure(rounds))


async def run(quick: bool = False) -> dict[str, Any]:
    """``ROUNDS`` switches to each list (5 with ``quick``), in a child process that owns its Qt loop."""
    return await measure_in_child("bench.tab_switch_bench", "--rounds", str(5 if quick else ROUNDS))


if __name__ == "__main__":
    count = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else ROUNDS
    figures = measure(count)
    if "--json" in sys.argv:
        print(json.dumps(figures))
    else:
        print_figures(figures)
