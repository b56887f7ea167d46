"""What the figures were measured on: CPU model, cores, RAM, Python, load at the time."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from typing import Any

import psutil


def cpu_model() -> str:
    """The CPU's marketing name where the system tells it, else the architecture."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    """JSON-ready description of this machine and its load right now."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "cpu_model": cpu_model(),
        "logical_cores": psutil.cpu_count(logical=True),
        "physical_cores": psutil.cpu_count(logical=False),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": sys.version.split()[0],
        "platform": platform.platform(terse=True),
        "load_average_1m": round(load[0], 2),
    }
