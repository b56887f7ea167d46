"""Settings dialog: data source, database, load thresholds and theme."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PyQt6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)


class EditableSettings(Protocol):
    source: str
    db_url: str
    cpu_limit_percent: float
    memory_limit_percent: float
    theme: str


class SettingsDialog(QDialog):
    """Edits a settings object in place when accepted."""

    def __init__(self, settings: EditableSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings
        self.source = QComboBox(self)
        self.source.addItems(["auto", "live", "sim"])
        self.source.setCurrentText(settings.source)
        self.db_url = QLineEdit(settings.db_url, self)
        self.db_url.setPlaceholderText("default SQLite file; or a path, or postgresql+asyncpg://user@host/db")
        self.browse = QPushButton("Browse…", self)
        self.browse.setToolTip("Choose a SQLite database file (a new name creates it at the next start)")
        self.browse.clicked.connect(self.browse_database)
        database = QHBoxLayout()
        database.addWidget(self.db_url, 1)
        database.addWidget(self.browse)
        self.cpu = QDoubleSpinBox(self)
        self.cpu.setRange(10, 100)
        self.cpu.setSuffix(" %")
        self.cpu.setValue(settings.cpu_limit_percent)
        self.memory = QDoubleSpinBox(self)
        self.memory.setRange(10, 100)
        self.memory.setSuffix(" %")
        self.memory.setValue(settings.memory_limit_percent)
        self.theme = QComboBox(self)
        self.theme.addItems(["dark", "light"])
        self.theme.setCurrentText(settings.theme)
        form = QFormLayout(self)
        form.addRow("Data source", self.source)
        form.addRow("Database", database)
        form.addRow("Backtests wait above CPU", self.cpu)
        form.addRow("Backtests wait above memory", self.memory)
        form.addRow("Theme", self.theme)
        self.note = QLabel(
            "Load limits and theme apply at once. Data source and database take effect at the next start.", self
        )
        self.note.setWordWrap(True)
        form.addRow(self.note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, parent=self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def browse_database(self) -> QFileDialog:
        """Let the user pick a database file (an existing one, or a new name); fills the field."""
        current = self.db_url.text().strip()
        start = current if current and "://" not in current else str(Path.home())
        dialog = QFileDialog(self, "Database file", start, "SQLite databases (*.sqlite *.sqlite3 *.db);;All files (*)")
        dialog.setObjectName("databaseFileDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setOption(QFileDialog.Option.DontConfirmOverwrite)  # an existing cache is reused, not replaced
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        dialog.fileSelected.connect(self.db_url.setText)
        dialog.open()
        return dialog

    def accept(self) -> None:
        self.settings.source = self.source.currentText()
        self.settings.db_url = self.db_url.text().strip()
        self.settings.cpu_limit_percent = self.cpu.value()
        self.settings.memory_limit_percent = self.memory.value()
        self.settings.theme = self.theme.currentText()
        super().accept()
