"""Command line: ``python main.py`` opens the app; subcommands fetch, backfill, serve and report.

    python main.py [--source auto|live|sim] [--rest-url URL --ws-url URL] [--db PATH_OR_URL] [--log-level INFO]
    python main.py fetch candles KRW-BTC 1m --count 1000 --format csv|json|parquet [--output FILE]
    python main.py fetch tickers KRW-BTC KRW-ETH | fetch orderbook KRW-BTC | fetch trades KRW-BTC --count 100
    python main.py backfill KRW-BTC 1m --start 2024-01-01 [--end 2024-04-01]
    python main.py sim [--host 127.0.0.1 --port 8765 --latency-ms 30 --jitter-ms 5 --seed 7 --rate-window-s 1.0]
    python main.py status
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from app.source import SOURCES, open_source

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="main.py", description="Upbit market data workstation")
    parser.add_argument("--source", choices=SOURCES, default="auto", help="live Upbit, the simulator, or auto (default)")
    parser.add_argument("--rest-url", default=None, help="an Upbit-compatible REST base, e.g. http://127.0.0.1:8765/v1")
    parser.add_argument("--ws-url", default=None, help="its WebSocket, e.g. ws://127.0.0.1:8765/websocket/v1")
    parser.add_argument("--db", default=None, help="SQLite file path or SQLAlchemy URL (default: user data dir)")
    parser.add_argument("--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.add_argument("--screenshot-dir", type=Path, default=None, help="render every tab to PNG files and exit")
    parser.add_argument("--exit-after", type=float, default=None, metavar="SECONDS", help="close the app after this long")
    commands = parser.add_subparsers(dest="command")

    fetch = commands.add_parser("fetch", help="print market data")
    fetch.add_argument("kind", choices=["candles", "tickers", "orderbook", "trades", "markets"])
    fetch.add_argument("symbols", nargs="*", help="market codes such as KRW-BTC (and a timeframe for candles)")
    fetch.add_argument("--count", type=int, default=None)
    fetch.add_argument("--start", default=None, help="ISO date or time; naive times are KST")
    fetch.add_argument("--end", default=None)
    fetch.add_argument("--priority", default="normal", choices=["critical", "high", "normal", "low"])
    fetch.add_argument("--format", default="csv", choices=["csv", "json", "parquet"])
    fetch.add_argument("--output", "-o", type=Path, default=None, help="file to write (default: standard output)")

    backfill = commands.add_parser("backfill", help="load history into the local cache, with progress")
    backfill.add_argument("symbol")
    backfill.add_argument("timeframe")
    backfill.add_argument("--start", required=True)
    backfill.add_argument("--end", default=None)

    sim = commands.add_parser("sim", help="serve the Upbit-compatible simulator")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8765)
    sim.add_argument("--latency-ms", type=float, default=2.0)
    sim.add_argument("--jitter-ms", type=float, default=1.0)
    sim.add_argument("--seed", type=int, default=7)
    sim.add_argument("--rate-window-s", type=float, default=None, help="rate-limit window width (1.0 = strict)")

    commands.add_parser(
        "status", help="exchange, WebSocket and database as this process finds them (reachability, rate budget, storage), as JSON"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``main.py``; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command is None:
        from app.gui import run_gui

        return run_gui(args.source, args.db, args.screenshot_dir, args.exit_after, args.rest_url, args.ws_url)
    if args.command == "sim":
        from backbone.sim.__main__ import main as serve

        return serve(
            ["--host", args.host, "--port", str(args.port), "--latency-ms", str(args.latency_ms),
             "--jitter-ms", str(args.jitter_ms), "--seed", str(args.seed)]
            + ([] if args.rate_window_s is None else ["--rate-window-s", str(args.rate_window_s)])
        )
    try:
        return asyncio.run(_run_command(args))
    except KeyboardInterrupt:
        return 130


async def _run_command(args: argparse.Namespace) -> int:
    from backbone import BackboneError, InvalidInputError, MarketDataBackbone

    try:
        source = await open_source(args.source, rest_url=args.rest_url, ws_url=args.ws_url)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if source.note:
        print(source.note, file=sys.stderr)
    try:
        async with MarketDataBackbone(source.rest_url, source.ws_url, args.db) as backbone:
            backbone.source_description = source.label
            if args.command == "fetch":
                return await _fetch(backbone, args)
            if args.command == "backfill":
                return await _backfill(backbone, args)
            from app.status import status_report

            report = await status_report(backbone)
            print(json.dumps(report, indent=2, default=str))
            return 0 if report["ok"] else 1
    except BackboneError as error:  # a database or exchange that cannot be used: one line, no traceback
        print(f"error [{error.code}]: {error}", file=sys.stderr)
        return 2 if isinstance(error, InvalidInputError) else 1
    finally:
        await source.close()


async def _fetch(backbone: Any, args: argparse.Namespace) -> int:
    symbols: list[str] = list(args.symbols)
    if args.kind == "candles":
        if len(symbols) != 2:
            print("fetch candles needs a market and a timeframe, e.g. KRW-BTC 1m", file=sys.stderr)
            return 2
        response = await backbone.get_candle_data(
            symbols[0], symbols[1], count=args.count, start_time=args.start, end_time=args.end, priority=args.priority
        )
    elif args.kind == "tickers":
        response = await backbone.get_ticker_data(symbols, priority=args.priority)
    elif args.kind == "orderbook":
        response = await backbone.get_orderbook_data(symbols, priority=args.priority)
    elif args.kind == "markets":
        response = await backbone.list_markets(symbols[0] if symbols else None)
    else:
        if len(symbols) != 1:
            print("fetch trades needs exactly one market, e.g. KRW-BTC", file=sys.stderr)
            return 2
        response = await backbone.get_trade_data(symbols[0], count=args.count, start_time=args.start, priority=args.priority)
    if not response.success:
        print(f"error [{response.error_code}]: {response.error}", file=sys.stderr)
        return 1
    if args.kind == "markets" and not response.data:
        quotes = sorted({row["market"].split("-")[0] for row in (await backbone.list_markets()).data})
        print(f"error: no market is quoted in {symbols[0]!r}; the exchange lists {', '.join(quotes)}", file=sys.stderr)
        return 1
    try:
        _write(response, args.format, args.output)
    except OSError as error:
        if args.output is None:
            print(f"error: could not write to standard output ({error.strerror or error})", file=sys.stderr)
            return 1
        kept = _keep_elsewhere(response, args.format, args.output)
        print(
            f"error: could not write {args.output} ({error.strerror or error}); "
            f"the {response.metadata.data_count} rows fetched are in {kept} instead",
            file=sys.stderr,
        )
        return 1
    meta = response.metadata
    print(
        f"{meta.data_count} rows, {meta.processing_time_ms:.0f} ms, path {meta.path_taken}, "
        f"cache hit {meta.cache_hit}, exchange calls {meta.upstream_calls}",
        file=sys.stderr,
    )
    return 0


def _write(response: Any, fmt: str, output: Path | None) -> None:
    if fmt == "json":
        text = json.dumps(response.data, ensure_ascii=False, indent=1)
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            print(text)
        return
    frame = response.to_frame()
    if "orderbook_units" in frame.columns:
        frame["orderbook_units"] = frame["orderbook_units"].map(json.dumps)
    if fmt == "parquet":
        if output is None:
            raise SystemExit("--format parquet needs --output FILE")
        frame.to_parquet(output, index=False)
        return
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, date_format="%Y-%m-%dT%H:%M:%S")  # Upbit's own time format
    if output:
        output.write_text(buffer.getvalue(), encoding="utf-8")
    else:
        sys.stdout.write(buffer.getvalue())


def _keep_elsewhere(response: Any, fmt: str, wanted: Path) -> Path:
    """Write what could not go to ``wanted`` into a new file in the temporary directory."""
    handle, name = tempfile.mkstemp(prefix=f"{wanted.stem or 'fetch'}-", suffix=f".{fmt}")
    os.close(handle)
    _write(response, fmt, Path(name))
    return Path(name)


async def _backfill(backbone: Any, args: argparse.Namespace) -> int:
    from backbone import Priority, ProgressEvent

    started = time.monotonic()

    def show(event: ProgressEvent) -> None:
        width = 30
        filled = int(width * event.percent / 100)
        eta = f"{event.eta_s:.0f}s left" if event.eta_s else ""
        note = event.message if event.deferred else f"{event.pages_done}/{event.pages_total} pages, {event.candles_done} candles {eta}"
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {event.percent:5.1f}% {note}   ")
        sys.stderr.flush()

    response = await backbone.get_candle_data(
        args.symbol, args.timeframe, start_time=args.start, end_time=args.end, priority=Priority.LOW, progress=show
    )
    sys.stderr.write("\n")
    if not response.success:
        print(f"error [{response.error_code}]: {response.error}", file=sys.stderr)
        return 1
    meta = response.metadata
    print(
        f"{meta.data_count} candles of {args.symbol} {args.timeframe} in the cache "
        f"({meta.upstream_calls} exchange calls, {time.monotonic() - started:.1f} s)"
    )
    return 0
