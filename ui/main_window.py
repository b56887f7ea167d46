"""The main window: one tab per panel, a status bar with source, WebSocket state and response times."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QByteArray, QSettings, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox, QTabWidget, QWidget

from backbone import MarketDataBackbone
from ui.export import export_error_text, write_csv
from ui.models.monitor import status_text
from ui.panel import ExportRows, require_panel


class MainWindow(QMainWindow):
    """Tabs of panels over one backbone; the status bar reads the backbone's metrics."""

    closed = pyqtSignal()  # the user closed the window: time to shut the backbone down

    def __init__(
        self,
        backbone: MarketDataBackbone,
        source_label: str,
        panels: Sequence[tuple[str, QWidget]],
        *,
        settings: QSettings | None = None,
        on_settings: Callable[[], None] | None = None,
        on_theme: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle("Upbit Market Data Workstation")
        self._backbone = backbone
        self._settings = settings
        self.tabs = QTabWidget(self)
        self._panels = [require_panel(title, panel) for title, panel in panels]
        for title, panel in panels:
            self.tabs.addTab(panel, title)
        self.setCentralWidget(self.tabs)
        self.source_label = QLabel(source_label, self)
        self.source_label.setObjectName("sourceLabel")
        self.ws_label = QLabel("WebSocket: –", self)
        self.latency_label = QLabel("", self)
        bar = self.statusBar()
        bar.addWidget(self.source_label)
        bar.addPermanentWidget(self.latency_label)
        bar.addPermanentWidget(self.ws_label)
        self._build_menus(on_settings, on_theme)
        self._export: asyncio.Future[bool] | None = None  # the file being written, if any
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh_status)
        self._timer.start(1000)
        if settings is not None:
            geometry = settings.value("window/geometry")
            if isinstance(geometry, QByteArray):
                self.restoreGeometry(geometry)
            else:
                self.resize(1280, 820)
            self.tabs.setCurrentIndex(int(settings.value("window/tab", 0)))

    def _build_menus(self, on_settings: Callable[[], None] | None, on_theme: Callable[[str], None] | None) -> None:
        file_menu = self.menuBar().addMenu("&File")
        export = QAction("&Export current view to CSV…", self)
        export.setShortcut(QKeySequence("Ctrl+E"))
        export.triggered.connect(self.export_current)
        file_menu.addAction(export)
        if on_settings is not None:
            settings = QAction("&Settings…", self)
            settings.setShortcut(QKeySequence("Ctrl+,"))
            settings.triggered.connect(on_settings)
            file_menu.addAction(settings)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        view_menu = self.menuBar().addMenu("&View")
        for index in range(self.tabs.count()):
            action = QAction(self.tabs.tabText(index), self)
            action.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
            action.triggered.connect(lambda _=False, i=index: self.tabs.setCurrentIndex(i))
            view_menu.addAction(action)
        if on_theme is not None:
            view_menu.addSeparator()
            for theme in ("dark", "light"):
                action = QAction(f"{theme.title()} theme", self)
                action.triggered.connect(lambda _=False, t=theme: on_theme(t))
                view_menu.addAction(action)

    def refresh_status(self) -> None:
        """Update the WebSocket state and, in a trader's words, how fast requests were answered."""
        self.ws_label.setText(f"WebSocket: {self._backbone.ws_state}")
        self.latency_label.setText(status_text(self._backbone.metrics_snapshot()))

    def export_current(self) -> None:
        """Write the current tab's table or chart data to a CSV file the user picks."""
        rows = self._panels[self.tabs.currentIndex()].export_rows()
        if rows is None:
            QMessageBox.information(self, "Export", "This tab has no table or chart data to export.")
            return
        name, _ = QFileDialog.getSaveFileName(self, "Export to CSV", "export.csv", "CSV files (*.csv)")
        if name:
            self._export = asyncio.ensure_future(self.export_to(Path(name), rows))

    async def export_to(self, path: Path, rows: ExportRows) -> bool:
        """Write ``rows`` to ``path`` off the event loop; a failure is explained, not raised."""
        try:
            count = await asyncio.to_thread(write_csv, path, *rows)
        except OSError as error:
            text = export_error_text(path, error)
            self.statusBar().showMessage(text, 10000)
            box = QMessageBox(QMessageBox.Icon.Warning, "Export failed", text, QMessageBox.StandardButton.Ok, self)
            box.setObjectName("exportError")
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
            return False
        self.statusBar().showMessage(f"Exported {count} rows to {path}", 5000)
        return True

    def closeEvent(self, event: Any) -> None:
        if self._settings is not None:
            self._settings.setValue("window/geometry", self.saveGeometry())
            self._settings.setValue("window/tab", self.tabs.currentIndex())
        self._timer.stop()
        super().closeEvent(event)
        self.closed.emit()

