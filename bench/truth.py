"""The simulator's own answer for a candle range, and checks of what a client got against it.

The simulator is deterministic per seed, so a candle whose interval closed before
a request was sent has exactly one right value. These checks read the
simulator's candle book in-process (no HTTP, no rate limit).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from backbone.domain.timeframes import parse_timeframe
from backbone.sim import ExchangeSimulator

MINUTE_MS = 60_000
COMPARED = (
    "opening_price", "high_price", "low_price", "trade_price",
    "candle_acc_trade_price", "candle_acc_trade_volume", "timestamp",
)


def unit_of(timeframe: str) -> int:
    """Minutes per candle of a minute timeframe code such as ``"15m"``."""
    tf = parse_timeframe(timeframe)
    if tf.minute_unit is None:
        raise ValueError(f"only minute timeframes are checked, got {timeframe!r}")
    return tf.minute_unit


def start_ms_of(candle: dict[str, Any]) -> int:
    """Start of an Upbit-named candle dict, ms since the epoch (UTC)."""
    when = datetime.fromisoformat(candle["candle_date_time_utc"]).replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def truth(sim: ExchangeSimulator, market: str, unit: int, start_ms: int, end_ms: int) -> dict[int, dict[str, Any]]:
    """Every candle the simulator has for ``market`` with start in ``[start_ms, end_ms)``, by start.

    Only meaningful for intervals that closed before the range was asked for.
    """
    book_market = sim.catalogue.get(market)
    if book_market is None:
        raise ValueError(f"the simulator lists no market {market!r}")
    slots = max((end_ms - start_ms) // (unit * MINUTE_MS) + 1, 1)
    now = int(datetime.now(UTC).timestamp() * 1000)
    rows = sim.candles.minutes(book_market, unit, end_ms, slots, now)
    out: dict[int, dict[str, Any]] = {}
    for row in rows:
        start = start_ms_of(row)
        if start_ms <= start < end_ms:
            out[start] = row
    return out


def same_candle(got: dict[str, Any], want: dict[str, Any]) -> bool:
    """True when every compared field agrees (prices to 1e-12 relative)."""
    for key in COMPARED:
        a, b = got.get(key), want.get(key)
        if a is None or b is None:
            return False
        if key == "timestamp":
            if int(a) != int(b):
                return False
        elif not math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12):
            return False
    return True


def check_candles(
    sim: ExchangeSimulator,
    market: str,
    timeframe: str,
    candles: list[dict[str, Any]],
    *,
    asked_at_ms: int,
    range_ms: tuple[int, int] | None = None,
) -> list[str]:
    """Problems with one answer: order, duplicates, wrong values, candles missing.

    Candles whose interval had not closed when the request was sent are skipped
    (they were still forming). With ``range_ms`` every true candle in that range
    must be present; otherwise nothing may be missing between the first and last.
    """
    unit = unit_of(timeframe)
    step = unit * MINUTE_MS
    problems: list[str] = []
    starts = [start_ms_of(c) for c in candles]
    if starts != sorted(starts):
        problems.append(f"{market} {timeframe}: candles not ascending")
    if len(set(starts)) != len(starts):
        problems.append(f"{market} {timeframe}: duplicate candles")
    if any(c.get("market") != market for c in candles):
        problems.append(f"{market} {timeframe}: a candle of another market")
    closed = [(s, c) for s, c in zip(starts, candles, strict=True) if s + step <= asked_at_ms]
    if range_ms is not None:
        low, high = range_ms
    elif closed:
        low, high = closed[0][0], closed[-1][0] + step
    else:
        return problems
    high = min(high, (asked_at_ms // step) * step)
    if high <= low:
        return problems
    want = truth(sim, market, unit, low, high)
    got = {s: c for s, c in closed if low <= s < high}
    wrong = [s for s, c in got.items() if s not in want or not same_candle(c, want[s])]
    missing = sorted(set(want) - set(got))
    if wrong:
        problems.append(f"{market} {timeframe}: {len(wrong)} wrong candle(s), first at {wrong[0]}")
    if missing:
        problems.append(f"{market} {timeframe}: {len(missing)} candle(s) missing, first at {missing[0]}")
    return problems
