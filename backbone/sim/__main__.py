"""Run the simulator standalone: ``python -m backbone.sim --port 8765``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from backbone.sim.ratelimit import WINDOW_S as RATE_WINDOW_S
from backbone.sim.server import ExchangeSimulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m backbone.sim",
        description="A local twin of Upbit's public quotation API (REST and WebSocket) with synthetic data.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8765, help="port to bind; 0 picks a free one (default 8765)"
    )
    parser.add_argument("--latency-ms", type=float, default=2.0, help="base delay per REST answer")
    parser.add_argument(
        "--jitter-ms", type=float, default=1.0, help="+/- random delay per REST answer"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of every generated price")
    parser.add_argument(
        "--ban-after-429s", type=int, default=30, help="429s within a minute before a 418 ban"
    )
    parser.add_argument(
        "--ban-seconds", type=float, default=10.0, help="length of the first 418 ban"
    )
    parser.add_argument(
        "--rate-window-s",
        type=float,
        default=RATE_WINDOW_S,
        help=f"width of the rate-limit sliding window in seconds (default {RATE_WINDOW_S}, "
        "what clients measure against Upbit; 1.0 is the strict reading)",
    )
    parser.add_argument("--no-rate-limit", action="store_true", help="let every call through")
    args = parser.parse_args(argv)
    if not 0.0 < args.rate_window_s <= 60.0:
        parser.error(f"--rate-window-s must be in (0, 60] seconds, got {args.rate_window_s}")
    return args


async def serve(args: argparse.Namespace) -> None:
    sim = ExchangeSimulator(
        args.host,
        args.port,
        latency_ms=args.latency_ms,
        jitter_ms=args.jitter_ms,
        seed=args.seed,
        ban_after_429s=args.ban_after_429s,
        ban_seconds=args.ban_seconds,
        rate_limit_enabled=not args.no_rate_limit,
        rate_window_s=args.rate_window_s,
    )
    await sim.start()
    print(f"REST      {sim.rest_url}")
    print(f"WebSocket {sim.ws_url}")
    print(
        f"markets   {len(sim.market_codes('KRW'))} KRW, {len(sim.market_codes('BTC'))} BTC, "
        f"{len(sim.market_codes('USDT'))} USDT  (seed {args.seed})",
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await sim.stop()


def main(argv: list[str] | None = None) -> None:
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
