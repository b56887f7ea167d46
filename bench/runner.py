"""Runs the chosen benchmarks one after the other, prints each, and merges them into results.json."""

from __future__ import annotations

import importlib
import json
import shlex
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.machine import machine_info
from bench.report import console_table

RESULTS_PATH = Path(__file__).with_name("results.json")


@dataclass(frozen=True, slots=True)
class Benchmark:
    """A module with ``async def run(quick)`` and, optionally, a printer of its figures."""

    name: str
    module: str
    printer: str | None
    summary: str

    def load(self) -> tuple[Callable[[bool], Awaitable[dict[str, Any]]], Callable[[dict[str, Any]], None] | None]:
        module = importlib.import_module(self.module)
        printer = getattr(module, self.printer) if self.printer else None
        return module.run, printer


BENCHMARKS: dict[str, Benchmark] = {
    b.name: b
    for b in (
        Benchmark("backbone", "bench.backbone_bench", "print_figures",
                  "cold backfill vs pyupbit and ccxt, warm re-read, chart and screener cases"),
        Benchmark("latency", "bench.latency_bench", "print_figures", "CRITICAL latency idle and under a backfill"),
        Benchmark("concurrency", "bench.concurrency_bench", "print_figures", "100 mixed clients"),
        Benchmark("chart", "bench.chart_bench", "_print", "chart frame times over 100,000 candles"),
        Benchmark("memory", "bench.memory_bench", "print_figures", "backtest RSS holding 1,000,000 candles"),
        Benchmark("candles", "bench.candles_bench", "print_figures",
                  "warm re-read of 129,600 candles as dicts, columns and DataFrame; derived 1h/1d; cold paths"),
        Benchmark("sweep", "bench.sweep_bench", "print_figures",
                  "backtest parameter sweep: 100 pairs over 100,000 candles"),
        Benchmark("ui_stall", "bench.ui_stall_bench", "print_figures",
                  "longest event-loop stall of the app while the backtest tab backfills"),
        Benchmark("tab_switch", "bench.tab_switch_bench", "print_figures",
                  "time to show the Screener and Markets tabs with live prices"),
        Benchmark("scheduler", "bench.scheduler_bench", "print_figures",
                  "the scheduler: bulk calls/s, a bot starting mid-backfill, four panels, two processes"),
        Benchmark("sim_throughput", "bench.sim_throughput", None, "the simulator alone, rate limits off"),
        Benchmark("router", "bench.router_bench", "_print", "the router alone"),
        Benchmark("storage", "bench.storage_bench", "print_table", "storage alone"),
        Benchmark("coordinator", "bench.coordinator_bench", "_print", "the coordinator alone"),
        Benchmark("progress", "bench.progress_bench", "print_figures",
                  "progress tracker time per request and size over 100,000 requests"),
    )
}
DEFAULT = ("backbone", "latency", "concurrency", "chart", "memory", "ui_stall", "scheduler")


def load_results(path: Path = RESULTS_PATH) -> dict[str, Any]:
    """The figures saved so far, or an empty dict."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def save_results(results: dict[str, Any], path: Path = RESULTS_PATH) -> None:
    """Write atomically, so an interrupted run never leaves half a file."""
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    partial.replace(path)


def record(name: str, figures: dict[str, Any], *, quick: bool, argv: Sequence[str], path: Path = RESULTS_PATH) -> dict[str, Any]:
    """Merge one benchmark's figures into results.json (other benchmarks' figures stay)."""
    results = load_results(path)
    results[name] = {**figures, "quick": quick, "measured_at": datetime.now(UTC).isoformat(timespec="seconds")}
    results["machine"] = machine_info()
    results["command"] = "python -m bench " + shlex.join(argv)
    results["timestamp"] = datetime.now(UTC).isoformat(timespec="seconds")
    save_results(results, path)
    return results


async def run_benchmarks(names: Sequence[str], *, quick: bool, argv: Sequence[str], path: Path = RESULTS_PATH) -> int:
    """Run ``names`` in order; returns 0 when every one produced figures."""
    failures = 0
    results: dict[str, Any] = load_results(path)
    print(f"machine: {machine_info()}")
    for name in names:
        bench = BENCHMARKS[name]
        print(f"\n== {name}: {bench.summary}{' (quick)' if quick else ''}", flush=True)
        started = time.perf_counter()
        try:
            run, printer = bench.load()
            figures = await run(quick)
        except Exception as error:  # one broken benchmark must not lose the others' figures
            failures += 1
            traceback.print_exc(file=sys.stderr)
            figures = {"failed": f"{type(error).__name__}: {error}"}
        else:
            if printer is not None:
                printer(figures)
            else:
                print(json.dumps(figures, indent=1, default=str))
        figures["bench_wall_s"] = round(time.perf_counter() - started, 1)
        results = record(name, figures, quick=quick, argv=argv, path=path)
    print("\n== summary\n" + console_table({k: v for k, v in results.items() if k in names}))
    print(f"\nfigures written to {path}")
    return 1 if failures else 0
