"""Per-market chart state kept between runs in a QSettings store (injected, so tests use a file)."""

from __future__ import annotations

import logging

from PyQt6.QtCore import QSettings

from ui.models.chart.state import ChartState

log = logging.getLogger(__name__)

_PREFIX = "chart/markets/"
_LAST_MARKET = "chart/last_market"


class ChartStateStore:
    """Reads and writes each market's ``ChartState`` and the last market shown."""

    def __init__(self, settings: QSettings) -> None:
        self.settings = settings

    def load(self, market: str) -> ChartState | None:
        """The remembered state of ``market``; None if none (or if the stored one is unreadable)."""
        raw = self.settings.value(_PREFIX + market)
        if raw is None:
            return None
        try:
            return ChartState.from_json(str(raw))
        except ValueError as error:
            log.warning("ignoring the stored chart state of %s: %s", market, error)
            return None

    def save(self, market: str, state: ChartState) -> None:
        self.settings.setValue(_PREFIX + market, state.to_json())
        self.settings.setValue(_LAST_MARKET, market)
        self.settings.sync()

    def last_market(self) -> str | None:
        raw = self.settings.value(_LAST_MARKET)
        return None if raw is None else str(raw)
