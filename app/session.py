"""One run of the app: the backbone, the panels and the window, opened and closed together.

Opening never ends in a traceback because of the database: when the configured one
cannot be opened (an unreachable PostgreSQL server, a path that cannot be created, an
unsupported URL), the session runs on the default SQLite file and the window says so,
with a button to fix the setting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from PyQt6.QtCore import QSettings
from PyQt6.QtWidgets import QApplication, QMessageBox, QPushButton

from app.panels import Panels, build_panels
from app.settings import AppSettings
from app.source import DataSource
from backbone import BackboneError, LoadThresholds, MarketDataBackbone
from backbone.storage.engine import display_url
from ui.main_window import MainWindow
from ui.models.favourites import Favourites
from ui.settings_dialog import SettingsDialog
from ui.theme import apply_theme

log = logging.getLogger(__name__)


class StartupError(Exception):
    """Not even the default database could be opened; the message says what to do."""


@dataclass(slots=True, weakref_slot=True)  # Qt connects to its bound methods
class AppSession:
    """What one run of the app holds; ``close()`` shuts it down in order."""

    backbone: MarketDataBackbone
    panels: Panels
    window: MainWindow
    settings: AppSettings
    store: QSettings
    database_problem: str | None = None
    _dialogs: list[SettingsDialog] = field(default_factory=list)

    def edit_settings(self) -> SettingsDialog:
        """Open the settings dialog (not blocking); accepted changes are saved and applied."""
        dialog = SettingsDialog(self.settings, self.window)
        dialog.setObjectName("settingsDialog")
        dialog.accepted.connect(self.apply_settings)
        dialog.open()
        self._dialogs = [dialog]
        return dialog

    def apply_settings(self) -> None:
        """Save the settings and apply what can change while running: theme and load limits."""
        self.settings.save(self.store)
        self.backbone.set_load_thresholds(thresholds_of(self.settings))
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, self.settings.theme)

    def set_theme(self, theme: str) -> None:
        self.settings.theme = theme
        self.apply_settings()

    async def close(self) -> None:
        await self.panels.stop()
        await self.backbone.stop()


def thresholds_of(settings: AppSettings) -> LoadThresholds:
    """The load limits the settings ask for."""
    return LoadThresholds(settings.cpu_limit_percent, settings.memory_limit_percent)


async def start_backbone(source: DataSource, settings: AppSettings) -> tuple[MarketDataBackbone, str | None]:
    """A started backbone on the configured database, or on the default file with the reason.

    Raises StartupError when the default database cannot be opened either.
    """
    problem = None
    if settings.db_url:
        try:
            return await _started(source, settings, settings.db_url), None
        except BackboneError as error:
            problem = f"The database {display_url(settings.db_url)!r} could not be used: {error}."
            log.warning("%s Using the default database for this session.", problem)
    try:
        return await _started(source, settings, None), problem
    except BackboneError as error:
        raise StartupError(
            f"{problem + ' ' if problem else ''}The default database could not be opened either: {error}. "
            "Set UPBIT_BACKBONE_DB or --db to a file you can write."
        ) from error


async def _started(source: DataSource, settings: AppSettings, db_url: str | None) -> MarketDataBackbone:
    backbone = MarketDataBackbone(source.rest_url, source.ws_url, db_url, load_thresholds=thresholds_of(settings))
    backbone.source_description = source.label
    try:
        await backbone.start()
    except BaseException:
        await backbone.stop()
        raise
    return backbone


async def open_session(source: DataSource, settings: AppSettings, store: QSettings) -> AppSession:
    """Start the backbone, build the panels and show the window; panels begin loading."""
    backbone, problem = await start_backbone(source, settings)
    panels = build_panels(backbone, Favourites(store), settings=store)
    # The menu's actions run only once the session below exists.
    window = MainWindow(
        backbone,
        source.label,
        panels.tabs,
        settings=store,
        on_settings=lambda: session.edit_settings(),
        on_theme=lambda theme: session.set_theme(theme),
    )
    session = AppSession(backbone, panels, window, settings, store, problem)
    if source.note:
        window.statusBar().showMessage(source.note, 15000)
    window.show()
    if problem is not None:
        _tell_database_problem(session, problem)
    panels.start()
    return session


def _tell_database_problem(session: AppSession, problem: str) -> None:
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        "Database not opened",
        f"{problem}\n\nThis session keeps its data in the default database file instead. "
        "Fix the database in Settings (an empty field means the default file); "
        "the change takes effect at the next start.",
        QMessageBox.StandardButton.Close,
        session.window,
    )
    box.setObjectName("databaseProblem")
    fix = box.addButton("Open Settings…", QMessageBox.ButtonRole.ActionRole)
    assert isinstance(fix, QPushButton)
    fix.clicked.connect(session.edit_settings)
    box.open()
    session.window.statusBar().showMessage("Database not opened: using the default file (see Settings)", 30000)
