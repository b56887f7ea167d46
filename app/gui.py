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

from app.panels import build_panels
from app.settings import APPLICATION, ORGANISATION, AppSettings, qsettings
from app.source import DataSource, open_source
from backbone import LoadThresholds, MarketDataBackbone
from ui.main_window import MainWindow
from ui.models.favourites import Favourites
from ui.settings_dialog import SettingsDialog
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
    thresholds = LoadThresholds(settings.cpu_limit_percent, settings.memory_limit_percent)
    backbone = MarketDataBackbone(source.rest_url, source.ws_url, settings.db_url or None, load_thresholds=thresholds)
    backbone.source_description = source.label
    await backbone.start()
    store = qsettings()

    def edit_settings() -> None:
        dialog = SettingsDialog(settings, window)
        if dialog.exec():
            settings.save(store)
            apply_theme(app, settings.theme)

    def set_theme(theme: str) -> None:
        settings.theme = theme
        settings.save(store)
        apply_theme(app, theme)

    panels = build_panels(backbone, Favourites(store), settings=store)
    window = MainWindow(
        backbone, source.label, panels.tabs, settings=store, on_settings=edit_settings, on_theme=set_theme
    )
    window.closed.connect(closing.set)
    if source.note:
        window.statusBar().showMessage(source.note, 15000)
    window.show()
    panels.start()
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
        await panels.stop()
        await backbone.stop()


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
        finally:
            await source.close()

    return int(qasync.run(main()))
