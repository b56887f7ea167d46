"""Nothing the project starts listens beyond loopback: the simulator, the backbone, the CLI, the app."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from backbone import MarketDataBackbone
from backbone.sim import ExchangeSimulator

ROOT = Path(__file__).resolve().parents[2]


def listening(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every listening TCP socket of a process."""
    process = psutil.Process(pid)
    connections = process.net_connections(kind="inet") if hasattr(process, "net_connections") else process.connections(kind="inet")
    return [(c.laddr.ip, c.laddr.port) for c in connections if c.status == psutil.CONN_LISTEN]


def assert_loopback(addresses: list[tuple[str, int]]) -> None:
    outside = [a for a in addresses if not ipaddress.ip_address(a[0]).is_loopback]
    assert not outside, f"listening beyond loopback: {outside}"


async def test_simulator_and_backbone_listen_on_loopback_only(tmp_path: Path) -> None:
    before = set(listening(os.getpid()))
    async with ExchangeSimulator(port=0) as sim:
        async with MarketDataBackbone(sim.rest_url, sim.ws_url, str(tmp_path / "c.sqlite")) as backbone:
            await backbone.get_ticker_data(["KRW-BTC"], priority="critical")  # opens the WebSocket too
            new = set(listening(os.getpid())) - before
            assert ("127.0.0.1", sim.port) in new
            assert_loopback(sorted(new))
            assert len(new) == 1, f"only the simulator should listen, found {sorted(new)}"


def _wait_for_listener(process: subprocess.Popen[bytes], seconds: float) -> list[tuple[str, int]]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        found = listening(process.pid)
        if found:
            return found
        time.sleep(0.2)
    return []


@pytest.mark.timeout(90)
@pytest.mark.parametrize(
    "arguments",
    [["sim", "--port", "0"], ["--source", "sim", "--exit-after", "20"]],
    ids=["cli-sim", "gui-app"],
)
def test_app_processes_listen_on_loopback_only(arguments: list[str], tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    command = [sys.executable, "main.py", "--db", str(tmp_path / "app.sqlite"), *arguments]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        found = _wait_for_listener(process, 60)
        assert found, f"{arguments} never listened (exit code {process.poll()})"
        time.sleep(1.0)  # anything started a moment later is checked too
        assert_loopback(listening(process.pid))
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
