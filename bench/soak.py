"""Soak: many clients for minutes against a faulty exchange; afterwards nothing crashed or was lost.

The simulator answers with 429s, 500s, 503s, slow answers, malformed and
truncated bodies, and drops every WebSocket every 20 s. Clients of every
priority ask for tickers, order books, trades and candles (latest N and
history ranges), and one holds a live ticker subscription. The verdict:

* no client task crashed and no task died unobserved on the loop;
* every success matches the simulator's truth (closed candles compared field by
  field, nothing missing in a range or between the first and last candle);
* every failure carries a stable error code (and none is INTERNAL_ERROR);
* afterwards the SQLite file holds no duplicate and no wrong candle in any
  covered range, and no covered range misses a candle the simulator has.

    python -m bench soak --minutes N --clients 100
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from backbone import MarketDataBackbone, Priority
from backbone.domain.timeframes import parse_timeframe
from backbone.sim import ExchangeSimulator, Faults
from backbone.storage import MarketStore
from bench.common import MINUTE, own_process_load
from bench.truth import MINUTE_MS, check_candles, same_candle, truth, unit_of

SOAK_FAULTS = Faults(
    rate_429=0.02, rate_500=0.02, rate_503=0.02, slow_fraction=0.02, slow_ms=1500.0,
    malformed_fraction=0.01, truncated_fraction=0.01, ws_drop_interval_s=20.0,
)
TIMEFRAMES = ("1m", "5m", "15m", "60m")
THINK_S = 0.05


@dataclass
class _Ledger:
    requests: int = 0
    succeeded: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    uncoded: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    loop_errors: list[str] = field(default_factory=list)
    ws_updates: int = 0
    latency_ms: dict[str, list[float]] = field(default_factory=dict)

    def answer(self, response: Any, problems: list[str]) -> None:
        self.requests += 1
        meta = response.metadata
        self.latency_ms.setdefault(meta.priority_used.value, []).append(meta.processing_time_ms)
        if response.success:
            self.succeeded += 1
            self.wrong.extend(problems[:3])
        elif not response.error_code or not response.error:
            self.uncoded.append(repr(response)[:200])
        else:
            self.errors[response.error_code] += 1


def _now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


async def _client(index: int, bb: MarketDataBackbone, sim: ExchangeSimulator, krw: list[str], deadline: float, ledger: _Ledger) -> None:
    rng = random.Random(1000 + index)
    role = index % 10
    while time.monotonic() < deadline:
        asked = _now_ms()
        problems: list[str] = []
        if role == 0:
            markets = [rng.choice(krw[:5])]
            response = await bb.get_ticker_data(markets, priority=Priority.CRITICAL)
            problems = _quote_problems(response, markets)
        elif role in (1, 2):
            markets = rng.sample(krw, 20)
            kind = rng.choice(("ticker", "orderbook"))
            fetch = bb.get_ticker_data if kind == "ticker" else bb.get_orderbook_data
            response = await fetch(markets, priority=Priority.HIGH)
            problems = _quote_problems(response, markets)
        elif role == 3:
            market = rng.choice(krw[:10])
            response = await bb.get_trade_data(market, count=rng.choice((50, 300)), priority=Priority.NORMAL)
            if response.success and any(t.get("market") != market for t in response.data):
                problems = [f"trades of another market in {market}"]
        elif role <= 7:
            market, tf = rng.choice(krw[:10]), rng.choice(TIMEFRAMES)
            priority = rng.choice((Priority.NORMAL, Priority.HIGH, Priority.CRITICAL))
            response = await bb.get_candle_data(market, tf, count=rng.choice((1, 50, 200, 450)), priority=priority)
            if response.success:
                problems = check_candles(sim, market, tf, response.data, asked_at_ms=asked)
        else:
            market = rng.choice(krw[:20])
            end = MINUTE.floor(datetime.now(UTC)) - timedelta(hours=rng.randrange(1, 72))
            start = end - timedelta(hours=rng.choice((2, 6, 12)))
            response = await bb.get_candle_data(market, "1m", start_time=start, end_time=end, priority=Priority.LOW)
            if response.success:
                span = (int(start.timestamp() * 1000), int(end.timestamp() * 1000))
                problems = check_candles(sim, market, "1m", response.data, asked_at_ms=asked, range_ms=span)
        ledger.answer(response, problems)
        await asyncio.sleep(THINK_S)


def _quote_problems(response: Any, markets: list[str]) -> list[str]:
    if not response.success:
        return []
    got = {row.get("market") for row in response.data}
    if got != set(markets):
        return [f"quotes for {sorted(got ^ set(markets))[:3]} wrong or missing"]
    prices = [row.get("trade_price", 1.0) for row in response.data]
    return ["a ticker without a positive price"] if any(not p or p <= 0 for p in prices) else []


async def _subscriber(bb: MarketDataBackbone, deadline: float, ledger: _Ledger) -> None:
    # Live updates must keep coming through dropped connections (the router reconnects).
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(max(deadline - time.monotonic(), 0.1)):
                async with bb.subscribe_ticker(["KRW-BTC", "KRW-ETH"]) as stream:
                    async for _ in stream:
                        ledger.ws_updates += 1
        await asyncio.sleep(0.5)


async def check_storage(db: str, sim: ExchangeSimulator) -> tuple[dict[str, int], list[str]]:
    """Duplicates, wrong candles and gaps inside covered ranges of every stored series."""
    problems: list[str] = []
    tally = Counter[str]()
    store = MarketStore(db)
    await store.open()
    try:
        for row in await store.size_report():
            if not row.timeframe.endswith("m") or row.candles == 0:
                continue
            unit = unit_of(row.timeframe)
            tf = parse_timeframe(row.timeframe)
            for start, end in await store.covered_ranges(row.market, tf):
                stored = await store.read_candles(row.market, tf, start, end)
                candles = stored.to_upbit()
                starts = stored.start_ms.tolist()
                low, high = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
                want = truth(sim, row.market, unit, low, high)
                tally["covered_candles"] += len(candles)
                tally["covered_ranges"] += 1
                if len(set(starts)) != len(starts):
                    problems.append(f"{row.market} {row.timeframe}: duplicate candles in storage")
                got = dict(zip(starts, candles, strict=True))
                wrong = [s for s, c in got.items() if s not in want or not same_candle(c, want[s])]
                missing = sorted(set(want) - set(got))
                if wrong:
                    problems.append(f"{row.market} {row.timeframe}: {len(wrong)} wrong stored candle(s) at {wrong[:2]}")
                if missing:
                    problems.append(f"{row.market} {row.timeframe}: coverage claims {len(missing)} missing candle(s), first {missing[0]}")
            tally["stored_candles"] += row.candles
    finally:
        await store.close()
    return dict(tally), problems


async def soak(minutes: float, clients: int, *, db_path: str | None = None, faults: Faults = SOAK_FAULTS) -> dict[str, Any]:
    """Run the soak and return its verdict and figures (``passed`` is the verdict)."""
    ledger = _Ledger()
    loop = asyncio.get_running_loop()
    previous_handler = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: ledger.loop_errors.append(str(context.get("message"))[:200]))
    with tempfile.TemporaryDirectory(prefix="soak-") as folder:
        db = db_path or str(Path(folder) / "soak.sqlite")
        try:
            async with ExchangeSimulator(port=0, latency_ms=5.0, jitter_ms=2.0) as sim:
                started = time.monotonic()
                async with MarketDataBackbone(sim.rest_url, sim.ws_url, db, load_sampler=own_process_load) as bb:
                    rss_start_mb = _rss_mb()
                    krw = sim.market_codes("KRW")
                    sim.set_faults(faults)
                    deadline = started + minutes * 60
                    tasks = [_client(i, bb, sim, krw, deadline, ledger) for i in range(clients)]
                    outcomes = await asyncio.gather(*tasks, _subscriber(bb, deadline, ledger), return_exceptions=True)
                    sim.clear_faults()
                    rss_end_mb = _rss_mb()
                    wall = time.monotonic() - started
                    snapshot = bb.metrics_snapshot()
                crashed = [f"{type(o).__name__}: {o}" for o in outcomes if isinstance(o, BaseException)]
                storage_tally, storage_problems = await check_storage(db, sim)
                sim_stats = sim.stats.to_mapping()
        finally:
            loop.set_exception_handler(previous_handler)
    internal = ledger.errors.get("INTERNAL_ERROR", 0)
    passed = (
        not crashed and not ledger.loop_errors and not ledger.wrong and not ledger.uncoded
        and not internal and not storage_problems and ledger.succeeded > 0
    )
    return {
        "passed": passed, "minutes": round(wall / 60, 2), "clients": clients, "faults": faults.to_mapping(),
        "requests": ledger.requests, "succeeded": ledger.succeeded, "errors_by_code": dict(ledger.errors),
        "uncoded_failures": ledger.uncoded[:10], "wrong_answers": ledger.wrong[:10], "crashed_tasks": crashed,
        "loop_errors": ledger.loop_errors[:10], "ws_updates": ledger.ws_updates,
        "ws_reconnects": _reconnects(snapshot), "storage": storage_tally, "storage_problems": storage_problems[:10],
        "exchange_answers": sim_stats["statuses"], "answers_418": sim_stats["statuses"].get("418", 0),
        "rss_mb": {"start": rss_start_mb, "end": rss_end_mb},
        "latency_ms_by_priority": {
            priority: {"count": len(values), "p50": round(float(np.percentile(values, 50)), 1),
                       "p99": round(float(np.percentile(values, 99)), 1)}
            for priority, values in sorted(ledger.latency_ms.items())
        },
    }


def _rss_mb() -> float:
    return round(psutil.Process().memory_info().rss / 2**20, 1)


def _reconnects(snapshot: Any) -> int | None:
    return getattr(snapshot, "ws_reconnects", None)


def print_verdict(result: dict[str, Any]) -> None:
    """A readable account of the soak."""
    print(f"soak {result['minutes']} min, {result['clients']} clients, faults {result['faults']}")
    print(f"  verdict: {'PASS' if result['passed'] else 'FAIL'}")
    print(f"  requests {result['requests']}, succeeded {result['succeeded']}, errors {result['errors_by_code']}")
    print(f"  wrong answers {len(result['wrong_answers'])}, uncoded failures {len(result['uncoded_failures'])}, "
          f"crashed tasks {len(result['crashed_tasks'])}, loop errors {len(result['loop_errors'])}")
    print(f"  live ticker updates {result['ws_updates']}; exchange answers by status {result['exchange_answers']}")
    print(f"  storage {result['storage']}, problems {result['storage_problems'] or 'none'}")
    print(f"  418 answers {result['answers_418']}; RSS {result['rss_mb']['start']} MB at start, "
          f"{result['rss_mb']['end']} MB at the end")
    for priority, figures in result["latency_ms_by_priority"].items():
        print(f"  {priority:<8} {figures['count']} requests, p50 {figures['p50']} ms, p99 {figures['p99']} ms "
              "(end to end, faults and retries included; shared machine, noisy)")
    for line in result["wrong_answers"] + result["crashed_tasks"] + result["loop_errors"] + result["uncoded_failures"]:
        print(f"  ! {line}")


__all__ = ["MINUTE_MS", "SOAK_FAULTS", "check_storage", "print_verdict", "soak"]
