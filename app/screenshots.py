"""``--screenshot-dir``: render every tab once its panel has real data, one PNG per tab."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from pathlib import Path
from typing import Any

from PyQt6.QtWidgets import QMainWindow

log = logging.getLogger(__name__)


def _ready(panel: Any) -> bool:
    """A panel says it has data through ``is_ready()``; one that cannot say is ready at once."""
    check = getattr(panel, "is_ready", None)
    return bool(check()) if callable(check) else True


async def capture_tabs(window: QMainWindow, panels: Any, directory: Path, timeout_s: float) -> list[Path]:
    """Show each tab in turn, wait for its data (at most ``timeout_s`` in all), save it as PNG."""
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_s
    written = []
    tabs = window.centralWidget()
    for index, (title, panel) in enumerate(panels.tabs):
        tabs.setCurrentIndex(index)
        run = getattr(panel, "run", None)
        if callable(run) and not _ready(panel):
            run()  # a backtest shows results only once it has run: run the form's defaults
        polls = max(0, int((deadline - time.monotonic()) / 0.2))
        for _ in range(polls):
            if _ready(panel):
                break
            await asyncio.sleep(0.2)
        if not _ready(panel):
            log.warning("tab %s had no data before the deadline; capturing it as it is", title)
        await asyncio.sleep(0.5)  # the loop delivers the last repaints meanwhile
        name = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        path = directory / f"{index + 1:02d}-{name}.png"
        window.grab().save(str(path))
        written.append(path)
        log.info("wrote %s", path)
    return written
