"""Upbit's per-group limits: Remaining-Req on every answer, 429 on the 11th call, 418 after abuse."""

from __future__ import annotations

import asyncio

import pytest

from backbone.sim.__main__ import parse_args
from backbone.sim.ratelimit import WINDOW_S
from backbone.sim.ratelimit import RateLimiter as SimRateLimiter
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


def test_a_strict_one_second_window_refuses_what_the_default_window_lets_through() -> None:
    now = [0.0]
    default = SimRateLimiter(clock=lambda: now[0])
    strict = SimRateLimiter(window_s=1.0, clock=lambda: now[0])
    for _ in range(10):
        assert default.check("127.0.0.1", "candle").status == 200
        assert strict.check("127.0.0.1", "candle").status == 200
    now[0] = 0.95  # the ten calls at 0.0 have left a 0.93 s window, not a 1.0 s one
    assert default.check("127.0.0.1", "candle").status == 200
    assert strict.check("127.0.0.1", "candle").status == 429
    now[0] = 1.0
    assert strict.check("127.0.0.1", "candle").status == 200


def test_the_window_width_is_checked_by_name() -> None:
    with pytest.raises(ValueError, match="rate_window_s"):
        SimRateLimiter(window_s=0.0)


async def test_the_simulator_takes_its_window_from_the_constructor(make_simulator, http: Http) -> None:
    sim = await make_simulator(latency_ms=0, jitter_ms=0, rate_window_s=1.0)
    assert sim.limiter.window_s == 1.0
    answers = [await http.get(sim.rest_url + "/market/all") for _ in range(11)]
    assert [status for status, _, _ in answers] == [200] * 10 + [429]


def test_the_command_line_takes_the_window_and_refuses_a_bad_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_args(["--rate-window-s", "1.0"]).rate_window_s == 1.0
    assert parse_args([]).rate_window_s == WINDOW_S
    with pytest.raises(SystemExit):
        parse_args(["--rate-window-s", "-1"])
    assert "--rate-window-s must be in (0, 60]" in capsys.readouterr().err
