"""A short soak in the suite: 20 clients for one minute against a faulty exchange.

The full version is ``python -m bench soak --minutes N --clients 100``; this one
keeps the suite fast while still crossing several WebSocket drops' worth of
faults (429, 5xx, slow, malformed and truncated answers).
"""

from __future__ import annotations

import asyncio
import io

import pytest

from backbone.sim import ExchangeSimulator, Faults
from bench.soak import soak
from bench.truth import check_candles, start_ms_of

SOAK_MINUTES = 1.0
SOAK_CLIENTS = 20


@pytest.mark.timeout(240)
async def test_soak_with_faults_loses_nothing() -> None:
    faults = Faults(
        rate_429=0.02, rate_500=0.02, rate_503=0.02, slow_fraction=0.02, slow_ms=1500.0,
        malformed_fraction=0.01, truncated_fraction=0.01, ws_drop_interval_s=15.0,
    )
    try:
        soaking = asyncio.ensure_future(soak(SOAK_MINUTES, SOAK_CLIENTS, faults=faults))
        result = await asyncio.wait_for(asyncio.shield(soaking), SOAK_MINUTES * 60 + 90)
    except TimeoutError:
        # Say where every task was stuck: a soak that cannot finish is the bug to find.
        stacks = io.StringIO()
        for task in asyncio.all_tasks():
            print(f"--- {task.get_name()}", file=stacks)
            task.print_stack(limit=30, file=stacks)
        pytest.fail(f"the soak did not finish; tasks still waiting:\n{stacks.getvalue()}")
    assert not result["crashed_tasks"], result["crashed_tasks"]
    assert not result["loop_errors"], result["loop_errors"]
    assert not result["wrong_answers"], result["wrong_answers"]
    assert not result["uncoded_failures"], result["uncoded_failures"]
    assert "INTERNAL_ERROR" not in result["errors_by_code"]
    assert not result["storage_problems"], result["storage_problems"]
    assert result["succeeded"] > 100
    assert result["storage"].get("covered_candles", 0) > 0
    answered = result["exchange_answers"]
    assert any(status != "200" for status in answered), "the faults never fired"
    assert result["passed"]


async def test_the_truth_check_catches_a_wrong_or_missing_candle(simulator: ExchangeSimulator) -> None:
    # The soak is only as good as its checker: a changed price and a dropped candle must show.
    from datetime import UTC, datetime

    now = int(datetime.now(UTC).timestamp() * 1000)
    end = now // 60_000 * 60_000 - 10 * 60_000
    book = simulator.catalogue.get("KRW-ETH")
    assert book is not None
    rows = sorted(simulator.candles.minutes(book, 1, end, 50, now), key=start_ms_of)
    assert check_candles(simulator, "KRW-ETH", "1m", rows, asked_at_ms=now) == []
    changed = [dict(r) for r in rows]
    changed[10]["trade_price"] *= 1.0001
    assert any("wrong" in p for p in check_candles(simulator, "KRW-ETH", "1m", changed, asked_at_ms=now))
    dropped = rows[:20] + rows[21:]
    assert any("missing" in p for p in check_candles(simulator, "KRW-ETH", "1m", dropped, asked_at_ms=now))
