"""Headline rows from results.json, as a console table or as Markdown for the README."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Row = tuple[str, str, str]


def _fmt(value: Any, unit: str = "", digits: int = 2) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}{unit}"
    return f"{value}{unit}"


def _backfill_rows(cold: dict[str, Any]) -> list[Row]:
    what = f"cold backfill, {cold['days']} d of 1m ({cold['pages_planned']} pages, ceiling {cold['ceiling_s']} s)"
    rows: list[Row] = []
    for key, label in (("backbone_low", "backbone (LOW)"), ("pyupbit", "pyupbit get_ohlcv"), ("ccxt_async", "ccxt async")):
        row = cold.get(key)
        if not row:
            continue
        text = (f"{_fmt(row['wall_s'], ' s')}, {row['calls']} calls, {row['status_429']} 429s, "
                f"{_fmt(row.get('ratio_to_ceiling'))}x ceiling")
        if "time_vs_backbone" in row:
            text += f", {_fmt(row['time_vs_backbone'])}x our time"
        if row.get("error"):
            text += f" (error: {row['error']})"
        rows.append((what, label, text))
    return rows


def _backbone_rows(result: dict[str, Any]) -> list[Row]:
    rows = _backfill_rows(result["cold_backfill"]) if "cold_backfill" in result else []
    warm = result.get("warm_reread")
    if warm:
        rows.append(("warm re-read of the same range", "backbone",
                     f"{_fmt(warm['wall_s'], ' s', 3)}, {warm['calls']} calls, {_fmt(warm['ratio_to_cold'], '', 4)} of cold"))
    chart = result.get("chart_1000")
    if chart:
        for label in ("cold", "warm"):
            row = chart[label]
            rows.append((f"chart: 1,000 candles (target < {chart['target_s']:g} s)", label,
                         f"{_fmt(row['wall_s'], ' s', 3)}, {row['calls']} calls"))
    screener = result.get("screener_all_krw")
    if screener:
        for label in ("cold", "warm"):
            row = screener[label]
            rows.append((f"screener: {screener['markets']} KRW tickers (target < {screener['target_s']:g} s)", label,
                         f"{_fmt(row['wall_s'], ' s', 3)}, {row['calls']} calls"))
    return rows


_LATENCY_LABELS = {
    "ticker": "CRITICAL ticker", "candle": "CRITICAL 1m candle", "high": "HIGH 20 tickers",
    "normal": "NORMAL 200 cached candles",
}


def _latency_rows(result: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    days = result.get("backfill", {}).get("days", "?")
    for kind, label in _LATENCY_LABELS.items():
        if kind not in result["idle"]:
            continue
        idle, loaded = result["idle"][kind], result["during_backfill"][kind]
        ratios = result[f"{kind}_loaded_over_idle"]
        rows.append((f"{label} latency p50 / p99", "idle", f"{_fmt(idle.get('p50_ms'), ' ms', 1)} / {_fmt(idle.get('p99_ms'), ' ms', 1)}"))
        rows.append((f"{label} latency p50 / p99", f"during {days}-day LOW backfill",
                     f"{_fmt(loaded.get('p50_ms'), ' ms', 1)} / {_fmt(loaded.get('p99_ms'), ' ms', 1)} "
                     f"(x{_fmt(ratios['p50'])} / x{_fmt(ratios['p99'])})"))
    return rows


def _concurrency_rows(result: dict[str, Any]) -> list[Row]:
    what = (f"{result['clients']} mixed clients for {result.get('duration_s', result['seconds']):g} s "
            f"(last answer at {result['seconds']} s)")
    return [
        (what, "throughput", f"{result['throughput_per_s']} requests/s, errors {result['errors'] or 'none'}, "
                             f"crashed {len(result['crashed_clients'])}"),
        (what, "exchange calls", f"{result['upstream_calls']} instead of {result['calls_without_sharing']} "
                                 f"({_fmt((result['saved_fraction'] or 0) * 100, '%', 1)} saved), {result['status_429']} 429s"),
    ]


def _chart_rows(result: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for name, ours in result.get("ours", {}).items():
        if not isinstance(ours, dict) or "p50_ms" not in ours:
            continue
        rows.append((f"chart frame time, {result['candles']:,} candles", name,
                     f"p50 {_fmt(ours['p50_ms'], ' ms')}, p99 {_fmt(ours['p99_ms'], ' ms')}, "
                     f"{_fmt(result.get('speedup_p50', {}).get(name), 'x', 1)} vs QPicture"))
    extra = result.get("with_indicators")
    if extra:
        case = f"chart frame time, {extra['candles']:,} candles, {extra['overlays']} + {extra['lower_pane']}"
        for name, figures in extra["frames"].items():
            plain = result.get("ours", {}).get(name, {}).get("p50_ms")
            ratio = f", x{figures['p50_ms'] / plain:.2f} the plain 100,000-candle p50 of the same run" if plain else ""
            rows.append((case, name, f"p50 {_fmt(figures['p50_ms'], ' ms')}, p99 {_fmt(figures['p99_ms'], ' ms')} "
                                     f"(budget 16 ms){ratio}"))
    again = result.get("recompute_after_older")
    if again:
        case = f"chart indicators brought up to date when 1,000 older candles arrive ({again['candles']:,} held)"
        whole = again.get("full_median_ms")
        versus = f" (whole recompute {_fmt(whole, ' ms')})" if whole is not None else ""
        rows.append((case, f"{again['indicators']} indicators",
                     f"median {_fmt(again['median_ms'], ' ms')}, max {_fmt(again['max_ms'], ' ms')}{versus}"))
        if "live_median_ms" in again:
            rows.append((case.replace("when 1,000 older candles arrive", "when a live trade moves the last candle"),
                         f"{again['indicators']} indicators", f"median {_fmt(again['live_median_ms'], ' ms')} "
                         f"(whole recompute {_fmt(again.get('full_median_ms'), ' ms')})"))
        if "chart_after_older_ms" in again:
            rows.append((case, f"{again['lines']} lines handed to the chart",
                         f"{_fmt(again['chart_after_older_ms'], ' ms')} after the older candles, "
                         f"{_fmt(again['chart_after_live_ms'], ' ms')} after a live change"))
    return rows


def _memory_rows(result: dict[str, Any]) -> list[Row]:
    if "error" in result:
        return [("backtest memory", "error", result["error"][:200])]
    return [(f"backtest holding {result['candles']:,} candles", "peak RSS",
             f"{result['rss_peak_mb']} MB (+{result['peak_over_baseline_mb']} MB over {result['rss_baseline_mb']} MB, "
             f"{result['bytes_per_candle_at_peak']} B/candle)")]


def _ui_stall_rows(result: dict[str, Any]) -> list[Row]:
    rows = [(f"app event loop while backtesting {result['days']} d of 1m ({result['candles']:,} candles)",
             "stall", f"max {result['stall_max_ms']} ms, p99 {result['stall_p99_ms']} ms, "
             f"{result['stalls_over_100ms']} over 100 ms in {result['backfill_s']} s")]
    if "start_stall_ms" in result:
        rows.append((f"app event loop starting / cancelling a 1m backtest since 2018 "
                     f"({result['long_backtest_pages']:,} pages, target <= 50 ms each)", "stall",
                     f"{result['start_stall_ms']} ms / {result['cancel_stall_ms']} ms "
                     f"(cancel settled in {result['cancel_settled_s']} s)"))
    return rows


def _scheduler_rows(result: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for key in ("bulk_default_window", "bulk_strict_window"):
        row = result.get(key)
        if row:
            rows.append(("bulk candle calls/s, LOW backfill + 40 NORMAL charts, no CRITICAL (goal >= 9.5)",
                         f"sim window {row['sim_window_s']}",
                         f"{row['calls_per_s']} calls/s ({_fmt(row['share_of_ceiling'] * 100, '%', 1)} of 10), "
                         f"{row['status_429']} 429s over {row['seconds']} s"))
    for key, how in (("bot_start", "REST only"), ("bot_streamed", "with its 1m candle stream")):
        bot = result.get(key)
        if not bot:
            continue
        latency = bot["critical_candles"]
        answered = f"; answered by {bot['answered_by']}" if "answered_by" in bot else ""
        rows.append(("CRITICAL 1m candle when a bot starts mid-backfill (goal p99 <= 50 ms)",
                     f"{how}: p50 / p99 / max",
                     f"{_fmt(latency.get('p50_ms'), ' ms', 1)} / {_fmt(latency.get('p99_ms'), ' ms', 1)} / "
                     f"{_fmt(latency.get('max_ms'), ' ms', 1)} over {latency.get('n')} calls; reserve ready in "
                     f"{bot['reserve_ready_ms']} ms; {bot['status_429']} 429s{answered}"))
    panels = result.get("four_panels")
    if panels:
        what = f"{panels['markets']} markets x (5m candles, ticker, orderbook, trades) at once (goal >= 3x)"
        rows.append((what, "backbone", f"{_fmt(panels['backbone']['wall_s'], ' s', 2)}, {panels['backbone']['calls']} calls"))
        rows.append((what, "ccxt async", f"{_fmt(panels['ccxt_async']['wall_s'], ' s', 2)}, "
                                         f"{panels['ccxt_async']['calls']} calls, {_fmt(panels['speedup'])}x our time"))
    for key in ("two_processes", "three_processes", "three_processes_desk"):
        desk = result.get(key)
        if desk:
            databases = "one shared database (a desk)" if desk.get("shared_database") else "a database each"
            rows.append((f"{desk['processes']} app processes on one address, each backfilling "
                         "(goal >= 9.0, <= 2 x 429)", f"together, {databases}",
                         f"{desk['calls_per_s']} candle calls/s served, {desk['status_429']} 429s, "
                         f"{desk['status_418']} 418s over {desk['seconds']} s"))
    return rows


def _sweep_rows(result: dict[str, Any]) -> list[Row]:
    what = f"backtest parameter sweep, 10 x 10 pairs over {result['candles']:,} candles"
    return [
        (what, key, f"{row['sweep_s']} s ({row['per_pair_ms']} ms a pair, longest {row['longest_pair_ms']} ms), "
                    f"x{row['shared_vs_independent']} vs independent runs")
        for key, row in ((k, result[k]) for k in ("ma_cross", "breakout") if k in result)
    ]


def _candles_rows(result: dict[str, Any]) -> list[Row]:
    what = f"warm re-read, {result['candles']:,} stored 1m candles ({result['warm_calls']} calls)"
    rows: list[Row] = [
        (what, "as the seed's dicts (goal <= 150 ms)", _fmt(result["warm_dicts_ms"], " ms", 1)),
        (what, "response.candles (goal <= 30 ms)", _fmt(result.get("warm_columns_ms"), " ms", 1)),
        (what, "to_frame() (goal <= 30 ms)", _fmt(result["warm_frame_ms"], " ms", 1)),
        (what, "first read after start (database)", _fmt(result["first_read_ms"], " ms", 0)),
    ]
    for code in ("1h", "1d"):
        rows.append(("1h and 1d over a fully stored month of 1m (goal 0 calls)", code,
                     f"{result[f'month_{code}_calls']} calls, {result[f'month_{code}_candles']} candles"))
    rows.append(("cold paths on a 30 ms exchange", "1,000 candles", _fmt(result["cold_1000_ms"], " ms", 0)))
    rows.append(("cold paths on a 30 ms exchange", f"{result['cold_backfill_days']}-day backfill",
                 f"{_fmt(result['cold_backfill_s'], ' s')}, {result['cold_backfill_calls']} calls"))
    return rows


def _soak_rows(result: dict[str, Any]) -> list[Row]:
    return [(f"soak, {result['minutes']} min, {result['clients']} clients, faults on", "verdict",
             f"{'PASS' if result['passed'] else 'FAIL'}: {result['requests']} requests, {result['succeeded']} ok, "
             f"errors {result['errors_by_code'] or 'none'}, wrong {result['wrong_answers']}, "
             f"storage problems {len(result['storage_problems'])}")]


HEADLINES: dict[str, Callable[[dict[str, Any]], list[Row]]] = {
    "backbone": _backbone_rows,
    "latency": _latency_rows,
    "concurrency": _concurrency_rows,
    "chart": _chart_rows,
    "memory": _memory_rows,
    "candles": _candles_rows,
    "ui_stall": _ui_stall_rows,
    "scheduler": _scheduler_rows,
    "sweep": _sweep_rows,
    "soak": _soak_rows,
}


def headline_rows(results: dict[str, Any]) -> list[Row]:
    """(what, case, figures) for every benchmark in ``results`` that has a headline."""
    rows: list[Row] = []
    for name, build in HEADLINES.items():
        figures = results.get(name)
        if isinstance(figures, dict) and "failed" not in figures:
            try:
                rows.extend(build(figures))
            except (KeyError, TypeError) as error:
                rows.append((name, "unreadable", f"{type(error).__name__}: {error}"))
        elif isinstance(figures, dict):
            rows.append((name, "failed", str(figures["failed"])[:200]))
    return rows


def console_table(results: dict[str, Any]) -> str:
    """The headline rows as fixed-width text."""
    rows = headline_rows(results)
    if not rows:
        return "(no headline figures)"
    width_a = max(len(r[0]) for r in rows)
    width_b = max(len(r[1]) for r in rows)
    lines = [f"{'benchmark':<{width_a}}  {'case':<{width_b}}  figures", "-" * (width_a + width_b + 40)]
    lines += [f"{a:<{width_a}}  {b:<{width_b}}  {c}" for a, b, c in rows]
    return "\n".join(lines)


def markdown(results: dict[str, Any]) -> str:
    """A Markdown table of the headline rows with the machine and command underneath."""
    lines = ["| benchmark | case | figures |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c.replace('|', '/')} |" for a, b, c in headline_rows(results)]
    quick = sorted(name for name, figures in results.items() if isinstance(figures, dict) and figures.get("quick"))
    if quick:
        lines += ["", f"Quick (shortened) runs: {', '.join(quick)}."]
    machine = results.get("machine", {})
    if machine:
        lines.append("")
        lines.append(
            f"Measured on {machine.get('cpu_model', '?')}, {machine.get('logical_cores', '?')} logical cores, "
            f"{machine.get('ram_gb', '?')} GB RAM, Python {machine.get('python', '?')} "
            f"(load average {machine.get('load_average_1m', '?')} at the start), "
            f"{results.get('timestamp', '?')}, with `{results.get('command', 'python -m bench')}`. "
            "Simulated exchange: 30 ms +- 5 ms per answer, Upbit's 10 calls/s per group."
        )
    return "\n".join(lines)
