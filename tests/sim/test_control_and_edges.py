"""The control endpoint refuses what a browser page could send; malformed WebSocket input and IPv6
hosts are handled as the exchange would."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import sys

import aiohttp
import pytest

from backbone.sim import ExchangeSimulator, Faults
from backbone.sim.server import host_port


def control_url(sim: ExchangeSimulator, what: str) -> str:
    return f"http://127.0.0.1:{sim.port}/_sim/{what}"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Content-Type": "text/plain"}, 415),
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415),
        ({"Content-Type": "application/json", "Origin": "http://evil.example"}, 403),
        ({"Content-Type": "application/json", "Origin": "null"}, 403),
        ({"Content-Type": "application/json", "Host": "evil.example"}, 403),
    ],
    ids=["text-plain", "form", "foreign-origin", "null-origin", "rebound-host"],
)
async def test_a_cross_site_request_cannot_switch_faults_on(
    simulator: ExchangeSimulator, headers: dict[str, str], status: int
) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            control_url(simulator, "faults"), data=json.dumps({"rate_500": 1.0}), headers=headers
        ) as response:
            assert response.status == status
            assert "error" in await response.json()
        async with session.delete(control_url(simulator, "faults"), headers={"Origin": "http://evil.example"}) as response:
            assert response.status == 403
    assert simulator.faults == Faults()


async def test_the_control_endpoint_still_takes_json_from_a_local_tool(simulator: ExchangeSimulator) -> None:
    async with aiohttp.ClientSession() as session:
        own_origin = {"Origin": f"http://127.0.0.1:{simulator.port}"}
        async with session.post(control_url(simulator, "faults"), json={"rate_500": 0.5}, headers=own_origin) as response:
            assert response.status == 200
        async with session.post(control_url(simulator, "drop_websockets"), json={}) as response:
            assert response.status == 200
    assert simulator.faults.rate_500 == 0.5


async def test_deeply_nested_websocket_json_is_answered_as_malformed(
    simulator: ExchangeSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with aiohttp.ClientSession() as session, session.ws_connect(simulator.ws_url) as ws:
        await ws.send_str("[" * 100_000)
        answer = json.loads((await asyncio.wait_for(ws.receive(), 10)).data)
        assert answer["error"]["name"] == "WRONG_FORMAT"
        await ws.send_str("PING")
        assert json.loads((await asyncio.wait_for(ws.receive(), 10)).data) == {"status": "UP"}
    assert not [r for r in caplog.records if r.exc_info or "RecursionError" in r.getMessage()]


def test_an_ipv6_host_is_written_in_brackets() -> None:
    assert host_port("::", 8765) == "[::]:8765"
    assert host_port("::1", 80) == "[::1]:80"
    assert host_port("127.0.0.1", 80) == "127.0.0.1:80"
    assert host_port("[::1]", 80) == "[::1]:80"


def _ipv6_loopback() -> bool:
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET6) as probe:
        probe.bind(("::1", 0))
        return True
    return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="this machine has no IPv6 loopback")
async def test_a_simulator_on_ipv6_loopback_prints_urls_a_client_can_use() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "backbone.sim", "--host", "::1", "--port", "0", "--latency-ms", "0", "--jitter-ms", "0",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        rest_url = line.split()[-1]
        assert rest_url.startswith("http://[::1]:")
        async with aiohttp.ClientSession() as session, session.get(rest_url + "/market/all") as response:
            assert response.status == 200
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)
