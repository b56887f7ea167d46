"""``python -m bench``: run benchmarks side by side, print a table, write bench/results.json.

    python -m bench [names...] [--quick]       (default: backbone latency concurrency chart memory)
    python -m bench --list                     every benchmark name
    python -m bench --markdown                 a Markdown table of bench/results.json with machine info
    python -m bench soak --minutes N --clients 100
    python -m bench crash                      SIGKILL a backfill, restart it, check it resumes
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bench.report import markdown
from bench.runner import BENCHMARKS, DEFAULT, RESULTS_PATH, load_results, record, run_benchmarks


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: {' '.join(DEFAULT)}); or soak, crash")
    parser.add_argument("--quick", action="store_true", help="shorter runs (about 2-3 minutes in all)")
    parser.add_argument("--markdown", action="store_true", help="print results.json as a Markdown table and exit")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--minutes", type=float, default=5.0, help="soak: how long (default 5)")
    parser.add_argument("--clients", type=int, default=100, help="soak: concurrent clients (default 100)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    if args.list:
        for bench in BENCHMARKS.values():
            print(f"{bench.name:<16}{bench.summary}")
        print(f"{'soak':<16}clients against a faulty exchange, then every answer and stored candle checked")
        print(f"{'crash':<16}SIGKILL during a backfill, restart, check the database and the resume")
        return 0
    if args.markdown:
        print(markdown(load_results()))
        return 0
    names = args.names or list(DEFAULT)
    if names == ["soak"]:
        return _soak(args, argv)
    if names == ["crash"]:
        return _crash(args, argv)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {sorted(BENCHMARKS)}, soak or crash", file=sys.stderr)
        return 2
    return asyncio.run(run_benchmarks(names, quick=args.quick, argv=argv))


def _soak(args: argparse.Namespace, argv: list[str]) -> int:
    from bench.soak import print_verdict, soak

    if args.minutes <= 0 or args.clients < 1:
        print("--minutes must be > 0 and --clients >= 1", file=sys.stderr)
        return 2
    result = asyncio.run(soak(args.minutes, args.clients))
    print_verdict(result)
    record("soak", result, quick=False, argv=argv, path=RESULTS_PATH)
    return 0 if result["passed"] else 1


def _crash(args: argparse.Namespace, argv: list[str]) -> int:
    from bench.crash import print_figures, run

    result = asyncio.run(run(args.quick))
    print_figures(result)
    record("crash", result, quick=args.quick, argv=argv, path=RESULTS_PATH)
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
