"""``python -m backbone.sim`` serves the same API standalone."""

from __future__ import annotations

import asyncio
import sys

import aiohttp


async def test_command_line_server_answers_and_stops_on_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "backbone.sim",
        "--port",
        "0",
        "--latency-ms",
        "0",
        "--jitter-ms",
        "0",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert line.startswith("REST")
        rest_url = line.split()[-1]
        assert rest_url.startswith("http://127.0.0.1:") and rest_url.endswith("/v1")
        async with (
            aiohttp.ClientSession() as session,
            session.get(rest_url + "/market/all") as response,
        ):
            assert response.status == 200
            assert len(await response.json()) > 190
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 30) == 0
