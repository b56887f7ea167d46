"""``--screenshot-dir``: render every tab once its panel has real data, one PNG per tab."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from pathlib import Path

from PyQt6.QtWidgets import QMainWindow

from app.panels import Panels
from ui.backtest.panel import BacktestPanel

log = logging.getLogger(__name__)


async def capture_tabs(window: QMainWindow, panels: Panels, directory: Path, timeout_s: float) -> list[Path]:
    """Show each tab in turn, wait for its data (at most ``timeout_s`` in all), save it as PNG."""
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_s
    written = []
    tabs = window.centralWidget()
    for index, (title, widget) in enumerate(panels.tabs):
        panel = panels.panel(index)
        tabs.setCurrentIndex(index)
        if isinstance(widget, BacktestPanel) and not panel.is_ready():
            widget.run()  # a backtest shows results only once it has run: run the form's defaults
        polls = max(0, int((deadline - time.monotonic()) / 0.2))
        for _ in range(polls):
            if panel.is_ready():
                break
            await asyncio.sleep(0.2)
        if not panel.is_ready():
            log.warning("tab %s had no data before the deadline; capturing it as it is", title)
        await asyncio.sleep(0.5)  # the loop delivers the last repaints meanwhile
        name = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        path = directory / f"{index + 1:02d}-{name}.png"
        window.grab().save(str(path))
        written.append(path)
        log.info("wrote %s", path)
    return written
