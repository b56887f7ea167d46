"""Settings dialog: data source, database, load thresholds and theme."""

from __future__ import annotations

from typing import Protocol

from PyQt6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
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
        form.addRow("Database", self.db_url)
        form.addRow("Backtests wait above CPU", self.cpu)
        form.addRow("Backtests wait above memory", self.memory)
        form.addRow("Theme", self.theme)
        form.addRow(QLabel("Source and database take effect at the next start.", self))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, parent=self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def accept(self) -> None:
        self.settings.source = self.source.currentText()
        self.settings.db_url = self.db_url.text().strip()
        self.settings.cpu_limit_percent = self.cpu.value()
        self.settings.memory_limit_percent = self.memory.value()
        self.settings.theme = self.theme.currentText()
        super().accept()
