"""What the chart remembers per market between runs: timeframe, indicators, zoom, log scale (no Qt).

The widget stores it through an injected settings object as JSON; a stored value that
no longer parses is replaced by the defaults (and says why), never lost silently into an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ui.models.chart.navigation import TIMEFRAMES
from ui.models.chart.studies import IndicatorSpec

DEFAULT_VISIBLE = 150  # candles shown after opening a market


@dataclass(frozen=True, slots=True)
class ChartState:
    """One market's chart settings."""

    timeframe: str = "1m"
    indicators: tuple[IndicatorSpec, ...] = field(default_factory=tuple)
    visible_candles: int = DEFAULT_VISIBLE
    log_scale: bool = False

    def __post_init__(self) -> None:
        if self.timeframe not in TIMEFRAMES:
            raise ValueError(f"timeframe {self.timeframe!r} is not one of: {', '.join(TIMEFRAMES)}")
        if isinstance(self.visible_candles, bool) or not isinstance(self.visible_candles, int) or self.visible_candles < 1:
            raise ValueError(f"visible_candles must be a whole number of at least 1, got {self.visible_candles!r}")

    def to_json(self) -> str:
        return json.dumps(
            {
                "timeframe": self.timeframe,
                "indicators": [spec.to_mapping() for spec in self.indicators],
                "visible_candles": self.visible_candles,
                "log_scale": self.log_scale,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> ChartState:
        """Parse a stored state; ValueError naming the field that is wrong."""
        try:
            raw: Any = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"chart state is not JSON: {error}") from None
        if not isinstance(raw, dict):
            raise ValueError("chart state must be a JSON object")
        specs = raw.get("indicators", [])
        if not isinstance(specs, list):
            raise ValueError("chart state indicators must be a list")
        return cls(
            timeframe=str(raw.get("timeframe", "1m")),
            indicators=tuple(IndicatorSpec.from_mapping(s) for s in specs),
            visible_candles=raw.get("visible_candles", DEFAULT_VISIBLE),
            log_scale=bool(raw.get("log_scale", False)),
        )
