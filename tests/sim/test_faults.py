"""Faults switch on and off at run time, from Python and from the loopback control endpoint."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from backbone.sim import ExchangeSimulator, Faults
from tests.sim.conftest import Http


@pytest.mark.parametrize("field,status", [("rate_429", 429), ("rate_500", 500), ("rate_503", 503)])
async def test_error_faults_replace_answers_with_upbit_shaped_errors(
    simulator: ExchangeSimulator, http: Http, field: str, status: int
) -> None:
    simulator.set_faults(Faults(**{field: 1.0}))
    got, body, headers = await http.get(simulator.rest_url + "/ticker", markets="KRW-BTC")
    assert got == status and "error" in body and "Remaining-Req" in headers
    simulator.clear_faults()
    got, _, _ = await http.get(simulator.rest_url + "/ticker", markets="KRW-BTC")
    assert got == 200


async def test_slow_fault_delays_answers(simulator: ExchangeSimulator, http: Http) -> None:
    simulator.set_faults(Faults(slow_fraction=1.0, slow_ms=300))
    start = time.perf_counter()
    await http.ok(simulator.rest_url + "/market/all")
    assert time.perf_counter() - start >= 0.28


async def test_malformed_and_truncated_bodies(simulator: ExchangeSimulator) -> None:
    async with aiohttp.ClientSession() as session:
        simulator.set_faults(Faults(malformed_fraction=1.0))
        async with session.get(
            simulator.rest_url + "/ticker", params={"markets": "KRW-BTC"}
        ) as response:
            assert response.status == 200
            with pytest.raises(json.JSONDecodeError):
                json.loads(await response.text())
        simulator.set_faults(Faults(truncated_fraction=1.0))
        with pytest.raises(aiohttp.ClientPayloadError):
            async with session.get(simulator.rest_url + "/market/all") as response:
                await response.read()


async def test_control_endpoint_sets_faults_and_reports_stats(
    simulator: ExchangeSimulator, http: Http
) -> None:
    base = simulator.rest_url.removesuffix("/v1")
    async with http.session.post(base + "/_sim/faults", json={"rate_500": 1.0}) as response:
        assert response.status == 200
    assert simulator.faults.rate_500 == 1.0
    status, _, _ = await http.get(simulator.rest_url + "/market/all")
    assert status == 500
    async with http.session.post(base + "/_sim/faults", json={"rate_5000": 1.0}) as response:
        assert response.status == 400
        assert "rate_5000" in (await response.json())["error"]["message"]
    async with http.session.delete(base + "/_sim/faults") as response:
        assert response.status == 200
    stats = await http.ok(base + "/_sim/stats")
    assert stats["statuses"]["500"] == 1 and stats["calls"]["market"] == 1
    assert simulator.stats.total == 1
    simulator.stats.reset()
    assert simulator.stats.total == 0


async def test_faults_validate_their_fields() -> None:
    with pytest.raises(ValueError, match="rate_500"):
        Faults(rate_500=1.5)


async def test_websockets_are_dropped_on_demand_and_on_a_schedule(
    simulator: ExchangeSimulator,
) -> None:
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(simulator.ws_url)
        await ws.send_str(json.dumps([{"ticket": "t"}, {"type": "ticker", "codes": ["KRW-BTC"]}]))
        await ws.receive(timeout=5)
        assert simulator.drop_websockets() == 1
        while (await ws.receive(timeout=5)).type not in (
            aiohttp.WSMsgType.CLOSE,
            aiohttp.WSMsgType.CLOSED,
            aiohttp.WSMsgType.ERROR,
        ):
            pass
        simulator.set_faults(Faults(ws_drop_interval_s=0.3))
        ws = await session.ws_connect(simulator.ws_url)
        await ws.send_str(
            json.dumps([{"ticket": "t"}, {"type": "orderbook", "codes": ["KRW-BTC"]}])
        )
        start = time.perf_counter()
        while (await ws.receive(timeout=5)).type not in (
            aiohttp.WSMsgType.CLOSE,
            aiohttp.WSMsgType.CLOSED,
            aiohttp.WSMsgType.ERROR,
        ):
            pass
        assert time.perf_counter() - start < 2.0
        simulator.clear_faults()
        await asyncio.sleep(0)
