"""The chart's indicators as the user picks them: which ones, their periods, and their lines.

An ``IndicatorSpec`` is what the menu edits and the chart state remembers; ``compute``
turns one into named lines over the series' columns (vectorised, from
``ui.models.indicators``), each as long as the series so it lines up with the candles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ui.models import indicators
from ui.models.chart.series import CandleSeries

OVERLAYS = ("SMA", "EMA", "BB")  # drawn over the candles
LOWER = ("RSI", "MACD", "VOLMA")  # drawn in the pane under the volume

TITLES = {
    "SMA": "Simple moving average",
    "EMA": "Exponential moving average",
    "BB": "Bollinger bands",
    "RSI": "Relative strength index",
    "MACD": "MACD",
    "VOLMA": "Volume average",
}
DEFAULT_PERIODS: dict[str, tuple[int, ...]] = {
    "SMA": (20,),
    "EMA": (50,),
    "BB": (20,),
    "RSI": (14,),
    "MACD": (12, 26, 9),
    "VOLMA": (20,),
}
PERIOD_NAMES: dict[str, tuple[str, ...]] = {
    "SMA": ("period",),
    "EMA": ("period",),
    "BB": ("period",),
    "RSI": ("period",),
    "MACD": ("fast", "slow", "signal"),
    "VOLMA": ("period",),
}
BOLLINGER_WIDTH = 2.0
MAX_PERIOD = 1000


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """One indicator the user chose: its kind (``SMA``, ``EMA``, ``BB``, ``RSI``, ``MACD``,
    ``VOLMA``) and its periods (one, or fast/slow/signal for MACD)."""

    kind: str
    periods: tuple[int, ...]

    def __post_init__(self) -> None:
        if self.kind not in TITLES:
            raise ValueError(f"indicator {self.kind!r} is not one of: {', '.join(TITLES)}")
        names = PERIOD_NAMES[self.kind]
        if len(self.periods) != len(names):
            raise ValueError(f"{self.kind} takes {len(names)} period(s) ({', '.join(names)}), got {self.periods!r}")
        for name, period in zip(names, self.periods, strict=True):
            if isinstance(period, bool) or not isinstance(period, int) or not 1 <= period <= MAX_PERIOD:
                raise ValueError(f"{self.kind} {name} must be a whole number from 1 to {MAX_PERIOD}, got {period!r}")
        if self.kind == "MACD" and self.periods[0] >= self.periods[1]:
            raise ValueError(f"MACD fast period must be shorter than the slow one, got {self.periods[0]} and {self.periods[1]}")

    @classmethod
    def default(cls, kind: str) -> IndicatorSpec:
        if kind not in DEFAULT_PERIODS:
            raise ValueError(f"indicator {kind!r} is not one of: {', '.join(TITLES)}")
        return cls(kind, DEFAULT_PERIODS[kind])

    @classmethod
    def parse(cls, kind: str, text: str) -> IndicatorSpec:
        """From the menu's period field, e.g. ``"20"`` or ``"12, 26, 9"``; ValueError naming the field."""
        try:
            periods = tuple(int(part) for part in text.replace(" ", "").split(",") if part)
        except ValueError:
            names = ", ".join(PERIOD_NAMES.get(kind, ("period",)))
            raise ValueError(f"{kind} periods must be whole numbers ({names}), got {text!r}") from None
        return cls(kind, periods)

    @property
    def overlay(self) -> bool:
        """True when drawn over the candles, False for the lower pane."""
        return self.kind in OVERLAYS

    @property
    def label(self) -> str:
        """``SMA 20``, ``MACD 12,26,9``."""
        return f"{self.kind} {','.join(str(p) for p in self.periods)}"

    def to_mapping(self) -> dict[str, Any]:
        return {"kind": self.kind, "periods": list(self.periods)}

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> IndicatorSpec:
        periods = raw.get("periods")
        if not isinstance(periods, Sequence) or isinstance(periods, str):
            raise ValueError(f"indicator periods must be a list of whole numbers, got {periods!r}")
        return cls(str(raw.get("kind")), tuple(periods))


Lines = dict[str, NDArray[np.float64]]


def compute(spec: IndicatorSpec, series: CandleSeries) -> Lines:
    """The named lines of ``spec`` over ``series``, each as long as the series."""
    close = series.close
    if spec.kind == "SMA":
        return {spec.label: indicators.sma(close, spec.periods[0])}
    if spec.kind == "EMA":
        return {spec.label: indicators.ema(close, spec.periods[0])}
    if spec.kind == "BB":
        bands = indicators.bollinger(close, spec.periods[0], BOLLINGER_WIDTH)
        return {f"{spec.label} upper": bands.upper, f"{spec.label} middle": bands.middle, f"{spec.label} lower": bands.lower}
    if spec.kind == "RSI":
        return {spec.label: indicators.rsi(close, spec.periods[0])}
    if spec.kind == "MACD":
        result = indicators.macd(close, *spec.periods)
        return {spec.label: result.line, "signal": result.signal, "histogram": result.histogram}
    return {spec.label: indicators.sma(series.volume, spec.periods[0])}


def compute_all(specs: Sequence[IndicatorSpec], series: CandleSeries) -> dict[IndicatorSpec, Lines]:
    """Every chosen indicator's lines (recomputed whole: vectorised, cheap next to drawing)."""
    return {spec: compute(spec, series) for spec in specs}
