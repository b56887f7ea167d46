"""Upbit's per-group limits: Remaining-Req on every answer, 429 on the 11th call, 418 after abuse."""

from __future__ import annotations

import asyncio

from tests.sim.conftest import Http


async def test_the_eleventh_call_in_a_second_gets_429_with_sec_zero(
    make_simulator, http: Http
) -> None:
    sim = await make_simulator(latency_ms=0, jitter_ms=0)
    answers = [await http.get(sim.rest_url + "/market/all") for _ in range(11)]
    secs = [headers["Remaining-Req"] for _, _, headers in answers]
    assert secs[0] == "group=market; min=1800; sec=9"
    assert secs[9] == "group=market; min=1800; sec=0"
    assert [status for status, _, _ in answers] == [200] * 10 + [429]
    assert secs[10] == "group=market; min=1800; sec=0"
    assert answers[10][1]["error"]["name"] == "too_many_requests"
    # Groups are counted apart.
    status, _, headers = await http.get(sim.rest_url + "/ticker", markets="KRW-BTC")
    assert status == 200 and headers["Remaining-Req"].endswith("sec=9")
    await asyncio.sleep(1.0)
    status, _, _ = await http.get(sim.rest_url + "/market/all")
    assert status == 200
    assert sim.stats.calls["market"] == 12 and sim.stats.statuses[429] == 1


async def test_ten_and_a_half_calls_per_second_pass(make_simulator, http: Http) -> None:
    sim = await make_simulator(latency_ms=0, jitter_ms=0)
    loop = asyncio.get_running_loop()
    start = loop.time()
    statuses = []
    for i in range(25):
        await asyncio.sleep(max(start + i / 10.5 - loop.time(), 0))
        status, _, _ = await http.get(sim.rest_url + "/ticker", markets="KRW-BTC")
        statuses.append(status)
    assert statuses.count(429) <= 1  # generous: this machine is shared


async def test_carrying_on_after_429s_earns_a_418_ban_that_states_its_length(
    make_simulator, http: Http
) -> None:
    sim = await make_simulator(latency_ms=0, jitter_ms=0, ban_after_429s=3, ban_seconds=0.5)
    statuses = []
    body = None
    for _ in range(14):
        status, body, _ = await http.get(sim.rest_url + "/candles/minutes/1", market="KRW-BTC")
        statuses.append(status)
    assert statuses[:10] == [200] * 10
    assert statuses[10:12] == [429, 429]
    assert statuses[12:] == [418, 418]
    assert body is not None and "second" in body["error"]["message"]
    # The ban covers every group of this address, then lifts.
    status, _, _ = await http.get(sim.rest_url + "/ticker", markets="KRW-BTC")
    assert status == 418
    await asyncio.sleep(0.6)
    status, _, _ = await http.get(sim.rest_url + "/ticker", markets="KRW-BTC")
    assert status == 200


async def test_rate_limits_can_be_relaxed_for_benchmarks(make_simulator, http: Http) -> None:
    sim = await make_simulator(latency_ms=0, jitter_ms=0, rate_limits={"candle": 1000})
    statuses = [
        (await http.get(sim.rest_url + "/candles/minutes/1", market="KRW-BTC"))[0]
        for _ in range(30)
    ]
    assert statuses == [200] * 30
    off = await make_simulator(latency_ms=0, jitter_ms=0, rate_limit_enabled=False)
    statuses = [(await http.get(off.rest_url + "/market/all"))[0] for _ in range(20)]
    assert statuses == [200] * 20
