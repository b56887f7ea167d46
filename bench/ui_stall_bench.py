"""How long the UI's event loop stalls while the backtest tab backfills months of minutes.

Opens the whole app offscreen on a qasync loop (simulator in-process at 30 ms
latency, as ``--source sim`` does), runs a 1m backtest over the form's date
range, and samples the loop every 10 ms: a sample that comes late by X ms is
a stall of X ms the user would have felt as a frozen window. Then it starts a
1m backtest since 2018 (about 23,000 pages), lets it run a few seconds and
cancels it: the longest stall within a second of pressing Run (after the
confirmation) and of pressing Cancel are the start and cancel figures.

    python -m bench.ui_stall_bench [--quick]
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from bench.app_window import TICK_S, measure_in_child, running_app, watch_loop


async def _measure(days: int) -> dict[str, Any]:
    from PyQt6.QtCore import QDate

    from backbone.domain.clock import KST

    async with running_app("stall.sqlite") as (window, panels):
        backtest: Any = panels.widget("Backtest")
        await asyncio.sleep(3)  # panels load their first data
        today = datetime.now(KST).date()
        start = today - timedelta(days=days)
        backtest.form.timeframe.setCurrentText("1m")
        backtest.form.start_date.setDate(QDate(start.year, start.month, start.day))
        backtest.form.end_date.setDate(QDate(today.year, today.month, today.day))
        window.tabs.setCurrentWidget(backtest)
        lags: list[float] = []
        stop = asyncio.Event()
        watcher = asyncio.ensure_future(watch_loop(lags, stop))
        started = time.perf_counter()
        task = backtest.run()
        assert task is not None, "the backtest form refused its settings"
        await task
        elapsed = time.perf_counter() - started
        stop.set()
        await watcher
        candles = 0 if backtest.candles is None else len(backtest.candles)
        long_run = await _start_and_cancel(backtest)
    values = np.array(lags)
    return {
        "days": days,
        "candles": candles,
        "backfill_s": round(elapsed, 1),
        "loop_samples": len(values),
        "stall_max_ms": round(float(values.max()), 1),
        "stall_p99_ms": round(float(np.percentile(values, 99)), 1),
        "stall_p50_ms": round(float(np.percentile(values, 50)), 2),
        "stalls_over_50ms": int((values > 50).sum()),
        "stalls_over_100ms": int((values > 100).sum()),
        **long_run,
    }


async def _start_and_cancel(backtest: Any) -> dict[str, Any]:
    """Start a 1m backtest since 2018, let it run, cancel it; the stalls around each press."""
    from PyQt6.QtCore import QDate

    from backbone.coordinator.planner import split_pages
    from backbone.domain.clock import KST
    from backbone.domain.timeframes import parse_timeframe

    minute = parse_timeframe("1m")
    first = datetime(2018, 1, 1, tzinfo=KST)
    today = datetime.now(KST)
    pages = len(split_pages(minute, minute.floor(first), minute.floor(today)))
    backtest.form.timeframe.setCurrentText("1m")
    backtest.form.start_date.setDate(QDate(first.year, first.month, first.day))
    backtest.form.end_date.setDate(QDate(today.year, today.month, today.day))
    lags: list[tuple[float, float]] = []
    stop = asyncio.Event()

    async def watch() -> None:
        while not stop.is_set():
            before = time.perf_counter()
            await asyncio.sleep(TICK_S)
            lags.append((before, (time.perf_counter() - before - TICK_S) * 1000))

    watcher = asyncio.ensure_future(watch())
    await asyncio.sleep(0.5)
    pressed_run = time.perf_counter()
    task = backtest.run() or backtest.confirm_load()  # a load this long asks first; the user agrees
    assert task is not None, "the backtest form refused its settings"
    await asyncio.sleep(4.0)
    pressed_cancel = time.perf_counter()
    backtest.cancel()
    await asyncio.gather(task, return_exceptions=True)
    cancelled_in = time.perf_counter() - pressed_cancel
    await asyncio.sleep(1.0)
    stop.set()
    await watcher

    def worst(since: float) -> float:
        window = [lag for at, lag in lags if since - TICK_S <= at <= since + 1.0]
        return round(max(window, default=0.0), 1)

    return {
        "long_backtest_pages": pages,
        "start_stall_ms": worst(pressed_run),
        "cancel_stall_ms": worst(pressed_cancel),
        "cancel_settled_s": round(cancelled_in, 2),
    }


async def run(quick: bool = False) -> dict[str, Any]:
    """90 days (7 with ``quick``), measured in a child process that owns its Qt loop."""
    return await measure_in_child("bench.ui_stall_bench", *(["--quick"] if quick else []))


def measure(quick: bool = False) -> dict[str, Any]:
    """Run the measurement on a qasync loop in this process."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PyQt6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv)
    app.setQuitOnLastWindowClosed(False)
    return qasync.run(_measure(7 if quick else 90))


def print_figures(figures: dict[str, Any]) -> None:
    """One figure a line."""
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    figures = measure("--quick" in sys.argv)
    if "--json" in sys.argv:
        print(json.dumps(figures))
        sys.exit(0)
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
