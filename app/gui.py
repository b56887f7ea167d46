"""Runs the desktop app: one qasync loop shared by Qt and the backbone."""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType

import qasync
from PyQt6.QtWidgets import QApplication, QMessageBox

from app.session import StartupError, open_session
from app.settings import APPLICATION, ORGANISATION, AppSettings, qsettings
from app.source import DataSource, open_source
from ui.theme import THEMES, app_icon, apply_theme

log = logging.getLogger(__name__)


def install_excepthook() -> None:
    """Errors from async slots end up here: log them and tell the user, never die silently."""

    def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        log.error("unhandled error: %s", "".join(traceback.format_exception(kind, error, trace)))
        app = QApplication.instance()
        visible = isinstance(app, QApplication) and any(w.isVisible() for w in app.topLevelWidgets())
        if visible and not isinstance(error, KeyboardInterrupt):
            QMessageBox.warning(None, "Unexpected error", f"{kind.__name__}: {error}")

    sys.excepthook = hook


async def run_window(
    source: DataSource,
    settings: AppSettings,
    *,
    screenshot_dir: Path | None,
    exit_after_s: float | None,
) -> int:
    """Build the backbone and the window, and live until the window closes."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    closing = asyncio.Event()
    # Closing the window must not stop the loop under the backbone's shutdown: the app
    # quits only once run_window has returned and everything is closed.
    app.setQuitOnLastWindowClosed(False)
    app.aboutToQuit.connect(closing.set)
    session = await open_session(source, settings, qsettings())
    window, panels = session.window, session.panels
    window.closed.connect(closing.set)
    try:
        if screenshot_dir is not None:
            from app.screenshots import capture_tabs

            await capture_tabs(window, panels, screenshot_dir, exit_after_s or 20.0)
            return 0
        if exit_after_s is not None:
            try:
                await asyncio.wait_for(closing.wait(), exit_after_s)
            except TimeoutError:
                window.close()
            return 0
        await closing.wait()
        return 0
    finally:
        await session.close()


def run_gui(
    source_kind: str,
    db: str | None,
    screenshot_dir: Path | None,
    exit_after_s: float | None,
    rest_url: str | None = None,
    ws_url: str | None = None,
) -> int:
    """Open the app window; returns the process exit status."""
    app = QApplication.instance() or QApplication(sys.argv)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setWindowIcon(app_icon())
    settings = AppSettings.load()
    if settings.theme not in THEMES:
        settings.theme = "dark"
    if db is not None:
        settings.db_url = db
    apply_theme(app, settings.theme)
    install_excepthook()

    async def main() -> int:
        source = await open_source(source_kind, rest_url=rest_url, ws_url=ws_url)
        try:
            return await run_window(source, settings, screenshot_dir=screenshot_dir, exit_after_s=exit_after_s)
        except StartupError as error:
            log.error("%s", error)
            if exit_after_s is None and screenshot_dir is None:
                QMessageBox.critical(None, "Cannot start", str(error))
            return 2
        finally:
            await source.close()

    return int(qasync.run(main()))
