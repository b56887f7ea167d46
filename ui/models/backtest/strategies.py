"""The built-in trading strategies: each turns the backbone's ``CandleColumns`` into a long/flat position.

Pure numpy. A strategy reads only data up to and including bar ``t`` to decide
the position held from the close of ``t`` to the close of ``t + 1``, so no
strategy can see the future.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from backbone.domain.candle_columns import CandleColumns
from ui.models.indicators import FloatArray, ema, rolling_max, rolling_min, rsi, sma


@dataclass(frozen=True, slots=True)
class Parameter:
    """One editable strategy parameter and its allowed range.

    A parameter with ``choices`` is a pick from a list: its value is the index of the
    chosen entry (the form shows a combo box, the sweep never varies it).
    """

    name: str
    label: str
    default: float
    minimum: float
    maximum: float
    integer: bool = True
    choices: tuple[str, ...] = ()


IndicatorCache = dict[tuple[str, int], FloatArray]
"""Indicator columns already computed over the same candles, by (name, period): a parameter
sweep shares them between grid cells instead of recomputing each average."""


@dataclass(frozen=True, slots=True)
class Strategy:
    """A named rule with its parameters; ``positions`` does the work."""

    key: str
    name: str
    parameters: tuple[Parameter, ...]

    def defaults(self) -> dict[str, float]:
        return {p.name: p.default for p in self.parameters}

    def validate(self, values: Mapping[str, float]) -> dict[str, float]:
        """Fill defaults and check ranges; ValueError names the parameter and its range."""
        out = self.defaults()
        for p in self.parameters:
            value = float(values.get(p.name, p.default))
            if p.choices and value not in range(len(p.choices)):
                raise ValueError(f"{p.label} must be one of: {', '.join(p.choices)}")
            if not p.minimum <= value <= p.maximum:
                raise ValueError(
                    f"{p.label} must be between {p.minimum:g} and {p.maximum:g}, got {value:g}"
                )
            out[p.name] = float(round(value)) if p.integer else value
        if self.key == "ma_cross" and out["fast"] >= out["slow"]:
            raise ValueError("Fast period must be shorter than the slow period")
        if self.key == "rsi" and out["oversold"] >= out["overbought"]:
            raise ValueError("Buy-below level must be lower than the sell-above level")
        return out

    def parameter(self, name: str) -> Parameter:
        """The parameter called ``name``; ValueError listing this strategy's parameters."""
        for p in self.parameters:
            if p.name == name:
                return p
        raise ValueError(f"{self.name} has no parameter {name!r}; it has {', '.join(p.name for p in self.parameters)}")

    def describe(self, values: Mapping[str, float]) -> str:
        """Parameters as a trader reads them, e.g. ``Fast period 10, Slow period 30, Average simple``."""
        parts = []
        for p in self.parameters:
            value = values.get(p.name, p.default)
            shown = p.choices[int(value)].lower() if p.choices else f"{value:g}"
            parts.append(f"{p.label} {shown}")
        return ", ".join(parts)

    def positions(
        self, candles: CandleColumns, values: Mapping[str, float], cache: IndicatorCache | None = None
    ) -> FloatArray:
        """Target position (1.0 long, 0.0 flat) at each bar's close. Pass one ``cache`` to
        several calls over the same candles to share their indicator columns."""
        params = self.validate(values)
        return _RULES[self.key](candles, params, {} if cache is None else cache)


def _memo(cache: IndicatorCache, name: str, period: int, compute: Callable[[], FloatArray]) -> FloatArray:
    key = (name, period)
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def _ma_cross(c: CandleColumns, p: Mapping[str, float], cache: IndicatorCache) -> FloatArray:
    name, average = ("ema", ema) if p["kind"] == 1 else ("sma", sma)
    fast_n, slow_n = int(p["fast"]), int(p["slow"])
    fast = _memo(cache, name, fast_n, lambda: average(c.close, fast_n))
    slow = _memo(cache, name, slow_n, lambda: average(c.close, slow_n))
    with np.errstate(invalid="ignore"):
        return np.where(fast > slow, 1.0, 0.0)


def _rsi_reversion(c: CandleColumns, p: Mapping[str, float], cache: IndicatorCache) -> FloatArray:
    period = int(p["period"])
    value = _memo(cache, "rsi", period, lambda: rsi(c.close, period))
    with np.errstate(invalid="ignore"):
        enter = value < p["oversold"]
        leave = value > p["overbought"]
    return _hold_between(enter, leave)


def _breakout(c: CandleColumns, p: Mapping[str, float], cache: IndicatorCache) -> FloatArray:
    entry_n, exit_n = int(p["entry"]), int(p["exit"])
    # Compare with the channel of the bars *before* this one.
    upper = _memo(cache, "upper", entry_n, lambda: np.concatenate(([np.nan], rolling_max(c.high, entry_n)[:-1])))
    lower = _memo(cache, "lower", exit_n, lambda: np.concatenate(([np.nan], rolling_min(c.low, exit_n)[:-1])))
    with np.errstate(invalid="ignore"):
        return _hold_between(c.close > upper, c.close < lower)


def _hold_between(enter: NDArray[np.bool_], leave: NDArray[np.bool_]) -> FloatArray:
    """Long from an ``enter`` bar until the next ``leave`` bar (leave wins on a tie)."""
    n = len(enter)
    state = np.full(n, -1, dtype=np.int8)  # -1: no event, 1: enter, 0: leave
    state[enter] = 1
    state[leave] = 0
    index = np.where(state >= 0, np.arange(n), -1)
    last_event = np.maximum.accumulate(index) if n else index
    return np.where(last_event >= 0, state[np.maximum(last_event, 0)], 0).astype(np.float64)


_RULES = {"ma_cross": _ma_cross, "rsi": _rsi_reversion, "breakout": _breakout}

STRATEGIES: dict[str, Strategy] = {
    s.key: s
    for s in (
        Strategy(
            "ma_cross",
            "Moving-average crossover",
            (
                Parameter("fast", "Fast period", 10, 2, 500),
                Parameter("slow", "Slow period", 30, 3, 2000),
                Parameter("kind", "Average", 0, 0, 1, choices=("Simple", "Exponential")),
            ),
        ),
        Strategy(
            "rsi",
            "RSI mean reversion",
            (
                Parameter("period", "RSI period", 14, 2, 200),
                Parameter("oversold", "Buy below", 30, 1, 99),
                Parameter("overbought", "Sell above", 70, 1, 99),
            ),
        ),
        Strategy(
            "breakout",
            "Channel breakout",
            (
                Parameter("entry", "Entry channel (bars)", 20, 2, 1000),
                Parameter("exit", "Exit channel (bars)", 10, 2, 1000),
            ),
        ),
    )
}
"""The built-in strategies by key, in the order the panel lists them."""
