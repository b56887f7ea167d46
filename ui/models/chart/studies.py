"""The chart's indicators as the user picks them: which ones, their periods, and their lines.

An ``IndicatorSpec`` is what the menu edits and the chart state remembers; ``compute``
turns one into named lines over the series' columns (vectorised, from
``ui.models.indicators``), each as long as the series so it lines up with the candles.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ui.models import indicators
from ui.models.chart.series import COLUMNS, CandleSeries

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


# A recursive average's memory of where it started shrinks by its decay each candle; after this
# factor it is far below a float64's resolution, even for a start a hundred times the value.
_FORGOTTEN = 2.0**-60


def _settle(alpha: float) -> int:
    """Candles after which an exponential average with ``alpha`` has forgotten its start."""
    return math.ceil(math.log(_FORGOTTEN) / math.log(1.0 - alpha))


def warm_up(spec: IndicatorSpec) -> int:
    """How many candles ``spec``'s lines need before their values no longer depend on where
    the computation started (to float rounding). Older candles put before the series change
    this many values at the old start; a line recomputed from this many candles before a live
    change matches a full recompute from there on.

    Window indicators (SMA, Bollinger, volume average) look back ``period`` candles: only their
    ``period - 1`` undefined leading values change. EMA, RSI and MACD are recursive from their
    first value, so in exact arithmetic every value changes; the change decays by ``1 - alpha``
    a candle and is counted here until it is below ``2**-60`` of the start's difference.
    """
    kind, periods = spec.kind, spec.periods
    if kind == "EMA":
        return periods[0] - 1 + _settle(2.0 / (periods[0] + 1))
    if kind == "RSI":
        return periods[0] + _settle(1.0 / periods[0])
    if kind == "MACD":
        _fast, slow, signal = periods
        return slow - 1 + _settle(2.0 / (slow + 1)) + signal - 1 + _settle(2.0 / (signal + 1))
    return periods[0] - 1


def _part(series: CandleSeries, start: int, stop: int) -> CandleSeries:
    return CandleSeries.from_arrays(series.timeframe, **{name: getattr(series, name)[start:stop] for name in COLUMNS})


def extend_older(spec: IndicatorSpec, lines: Lines, series: CandleSeries, added: int) -> Lines:
    """``spec``'s lines over ``series`` after ``added`` older candles were put before the
    candles ``lines`` were computed on: only the new candles and the old lines' ``warm_up``
    are computed, the rest is kept. Equal to ``compute(spec, series)`` to float rounding."""
    head = added + warm_up(spec)
    if head >= len(series) or any(len(values) != len(series) - added for values in lines.values()):
        return compute(spec, series)
    fresh = compute(spec, _part(series, 0, head))
    return {name: np.concatenate((fresh[name], lines[name][head - added :])) for name in fresh}


def extend_newer(spec: IndicatorSpec, lines: Lines, series: CandleSeries, changed_from: int) -> Lines:
    """``spec``'s lines over ``series`` when only candles from index ``changed_from`` on changed
    or were added since ``lines`` were computed (the live candle): the lines are computed again
    from ``warm_up`` candles before the change and kept before it. Equal to
    ``compute(spec, series)`` to float rounding."""
    start = changed_from - warm_up(spec)
    if start <= 0 or any(len(values) < changed_from for values in lines.values()):
        return compute(spec, series)
    fresh = compute(spec, _part(series, start, len(series)))
    return {name: np.concatenate((lines[name][:changed_from], fresh[name][changed_from - start :])) for name in fresh}


def extend_all_older(
    lines: Mapping[IndicatorSpec, Lines], series: CandleSeries, added: int
) -> dict[IndicatorSpec, Lines]:
    """Every indicator's lines after ``added`` older candles arrived (see ``extend_older``)."""
    return {spec: extend_older(spec, named, series, added) for spec, named in lines.items()}


def extend_all_newer(
    lines: Mapping[IndicatorSpec, Lines], series: CandleSeries, changed_from: int
) -> dict[IndicatorSpec, Lines]:
    """Every indicator's lines after a live change from ``changed_from`` on (see ``extend_newer``)."""
    return {spec: extend_newer(spec, named, series, changed_from) for spec, named in lines.items()}


@dataclass(slots=True)
class SeriesChanges:
    """What happened to a series since its indicator lines were computed: older candles put
    before it, candles changed or added from an index on (the live candle), or anything else."""

    prepended: int = 0
    changed_from: int | None = None  # in the series' current indices
    everything: bool = False

    def older(self, added: int) -> None:
        """``added`` older candles were put before the series."""
        self.prepended += added
        if self.changed_from is not None:
            self.changed_from += added

    def newer(self, index: int) -> None:
        """Candles from ``index`` on changed or were added."""
        self.changed_from = index if self.changed_from is None else min(self.changed_from, index)


def bring_up_to_date(
    specs: Sequence[IndicatorSpec], lines: Mapping[IndicatorSpec, Lines] | None, series: CandleSeries,
    changes: SeriesChanges,
) -> dict[IndicatorSpec, Lines]:
    """``specs``' lines over ``series``, from ``lines`` (computed before ``changes``) where
    only older history or the live candle moved; computed whole otherwise."""
    if lines is None or changes.everything or tuple(lines) != tuple(specs):
        return compute_all(specs, series)
    if changes.prepended:
        lines = extend_all_older(lines, series, changes.prepended)
    if changes.changed_from is not None:
        lines = extend_all_newer(lines, series, changes.changed_from)
    return dict(lines)
