"""The user's settings, remembered between runs with QSettings."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from PyQt6.QtCore import QSettings

ORGANISATION = "UpbitBackbone"
APPLICATION = "Upbit Market Data Workstation"


@dataclass(slots=True)
class AppSettings:
    """What the settings dialog edits. Source and database apply at the next start."""

    source: str = "auto"
    db_url: str = ""  # empty: the default SQLite file in the user's data directory
    cpu_limit_percent: float = 70.0
    memory_limit_percent: float = 80.0
    theme: str = "dark"

    @classmethod
    def load(cls, store: QSettings | None = None) -> AppSettings:
        store = store or qsettings()
        values = {}
        for spec in fields(cls):
            raw = store.value(f"settings/{spec.name}")
            if raw is None:
                continue
            values[spec.name] = float(raw) if spec.type in ("float", float) else str(raw)
        return cls(**values)

    def save(self, store: QSettings | None = None) -> None:
        store = store or qsettings()
        for name, value in asdict(self).items():
            store.setValue(f"settings/{name}", value)
        store.sync()


def qsettings() -> QSettings:
    """The app's settings store (per user)."""
    return QSettings(ORGANISATION, APPLICATION)
