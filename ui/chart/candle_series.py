"""Candle data held as numpy columns, for drawing and live updates (no Qt).

``x`` is the candle's UTC start in epoch seconds (float64), the chart's x axis.
Older history is prepended, live trades update the last candle or start a new one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ui.timeframes import floor_ms, timeframe_seconds, upbit_start_ms

COLUMNS = ("x", "open", "high", "low", "close", "volume")


class CandleSeries:
    """Ascending candles of one market and timeframe as parallel float64 arrays."""

    def __init__(self, timeframe: str = "1m") -> None:
        self.timeframe = timeframe
        self.x: NDArray[np.float64] = np.empty(0)
        self.open: NDArray[np.float64] = np.empty(0)
        self.high: NDArray[np.float64] = np.empty(0)
        self.low: NDArray[np.float64] = np.empty(0)
        self.close: NDArray[np.float64] = np.empty(0)
        self.volume: NDArray[np.float64] = np.empty(0)
        self._last_trade_ms = 0

    def __len__(self) -> int:
        return len(self.x)

    @property
    def width(self) -> float:
        """Nominal candle width in seconds (x units)."""
        return float(timeframe_seconds(self.timeframe))

    @classmethod
    def from_arrays(cls, timeframe: str, **columns: Sequence[float] | np.ndarray) -> CandleSeries:
        """Build from columns named like ``COLUMNS`` (already ascending)."""
        series = cls(timeframe)
        for name in COLUMNS:
            setattr(series, name, np.asarray(columns[name], dtype=np.float64).copy())
        return series

    @staticmethod
    def columns_from_upbit(candles: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
        """Upbit-named candle dicts to numpy columns."""
        n = len(candles)
        return {
            "x": np.fromiter((upbit_start_ms(c) / 1000.0 for c in candles), np.float64, n),
            "open": np.fromiter((c["opening_price"] for c in candles), np.float64, n),
            "high": np.fromiter((c["high_price"] for c in candles), np.float64, n),
            "low": np.fromiter((c["low_price"] for c in candles), np.float64, n),
            "close": np.fromiter((c["trade_price"] for c in candles), np.float64, n),
            "volume": np.fromiter((c["candle_acc_trade_volume"] for c in candles), np.float64, n),
        }

    def replace(self, candles: Sequence[Mapping[str, Any]]) -> None:
        """Drop everything and hold ``candles`` (Upbit dicts)."""
        columns = self.columns_from_upbit(candles)
        order = np.argsort(columns["x"], kind="stable")
        for name in COLUMNS:
            setattr(self, name, columns[name][order])
        self._last_trade_ms = 0

    def merge(self, candles: Sequence[Mapping[str, Any]]) -> int:
        """Add candles (older history usually); a start already held keeps the held one.

        Returns how many new candles were added.
        """
        if not candles:
            return 0
        columns = self.columns_from_upbit(candles)
        fresh = ~np.isin(columns["x"], self.x)
        if not fresh.any():
            return 0
        joined = {n: np.concatenate((columns[n][fresh], getattr(self, n))) for n in COLUMNS}
        order = np.argsort(joined["x"], kind="stable")
        for name in COLUMNS:
            setattr(self, name, joined[name][order])
        return int(fresh.sum())

    def apply_trade(self, price: float, trade_ms: int, volume: float = 0.0) -> str:
        """Fold one trade into the series: ``"updated"``, ``"appended"`` or ``"ignored"``.

        A trade inside the last candle moves its close and stretches high/low; a
        trade in a later interval opens a new candle; older trades are ignored.
        Volume is added once per distinct trade time.
        """
        start_s = floor_ms(self.timeframe, trade_ms) / 1000.0
        counted = volume if trade_ms > self._last_trade_ms else 0.0
        if len(self.x) and start_s < self.x[-1]:
            return "ignored"
        self._last_trade_ms = max(self._last_trade_ms, trade_ms)
        if len(self.x) and start_s == self.x[-1]:
            self.close[-1] = price
            self.high[-1] = max(self.high[-1], price)
            self.low[-1] = min(self.low[-1], price)
            self.volume[-1] += counted
            return "updated"
        self.x = np.append(self.x, start_s)
        self.open = np.append(self.open, price)
        self.high = np.append(self.high, price)
        self.low = np.append(self.low, price)
        self.close = np.append(self.close, price)
        self.volume = np.append(self.volume, counted)
        return "appended"

    def visible_range(self, x0: float, x1: float) -> tuple[int, int]:
        """Index range ``[i0, i1)`` of candles that overlap ``[x0, x1]`` on screen."""
        i0 = int(np.searchsorted(self.x, x0 - self.width, side="left"))
        i1 = int(np.searchsorted(self.x, x1, side="right"))
        return i0, i1

    def nearest(self, x: float) -> int | None:
        """Index of the candle under ``x`` (the last one starting at or before it)."""
        if not len(self.x):
            return None
        i = int(np.searchsorted(self.x, x, side="right")) - 1
        return min(max(i, 0), len(self.x) - 1)

    def candle(self, i: int) -> dict[str, float]:
        """One candle as a plain dict (x is the UTC start in epoch seconds)."""
        return {name: float(getattr(self, name)[i]) for name in COLUMNS}
