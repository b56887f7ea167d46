"""A pyupbit-style script that never calls close() exits cleanly: no unclosed session warnings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
from backbone.api import pyupbit_compat as pyupbit
pyupbit.configure(sys.argv[1], sys.argv[2], sys.argv[3])
price = pyupbit.get_current_price("KRW-BTC")
print("price", price)
"""


@pytest.mark.timeout(120)
def test_a_script_that_never_closes_the_facade_exits_without_unclosed_session_warnings(
    simulator_in_thread: Any, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-c", SCRIPT, simulator_in_thread.rest_url, simulator_in_thread.ws_url,
         str(tmp_path / "compat.sqlite")],
        cwd=ROOT, capture_output=True, text=True, timeout=100,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("price ")
    assert "Unclosed" not in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
