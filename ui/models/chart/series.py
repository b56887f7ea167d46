"""Candle data held as numpy columns, for drawing and live updates (no Qt).

``x`` is the candle's UTC start in epoch seconds (float64), the chart's x axis.
Older history is prepended, live trades update the last candle or start a new one.

Live volume is exact: each trade is counted once (by its id), trades already in
the exchange's candle (up to that candle's last trade time) are not counted again,
and a closed candle can be overwritten with the exchange's own.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from backbone.domain.candle_columns import CandleColumns
from ui.timeframes import floor_ms, timeframe_seconds

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
        self._last_trade_ms = 0  # trades up to here are already in the candles held
        self._counted_ids: set[int] = set()  # trades folded into the forming candle

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
    def columns_from(candles: CandleColumns) -> dict[str, np.ndarray]:
        """The backbone's candle columns as this series' columns (x in epoch seconds)."""
        return {
            "x": candles.start_ms / 1000.0,
            "open": candles.open,
            "high": candles.high,
            "low": candles.low,
            "close": candles.close,
            "volume": candles.volume,
        }

    def replace(self, candles: CandleColumns) -> None:
        """Drop everything and hold ``candles`` (ascending, from the backbone)."""
        columns = self.columns_from(candles)
        for name in COLUMNS:
            setattr(self, name, np.array(columns[name], dtype=np.float64))  # writable: live trades
        # The exchange's forming candle already counts its trades up to its ``timestamp``.
        self._last_trade_ms = int(candles.last_trade_ms.max()) if len(candles) else 0
        self._counted_ids.clear()

    def merge(self, candles: CandleColumns) -> int:
        """Add candles (older history usually); a start already held keeps the held one.

        Returns how many new candles were added.
        """
        if not len(candles):
            return 0
        columns = self.columns_from(candles)
        fresh = ~np.isin(columns["x"], self.x)
        if not fresh.any():
            return 0
        joined = {n: np.concatenate((columns[n][fresh], getattr(self, n))) for n in COLUMNS}
        order = np.argsort(joined["x"], kind="stable")
        for name in COLUMNS:
            setattr(self, name, joined[name][order])
        return int(fresh.sum())

    def overwrite_closed(self, candles: CandleColumns) -> int:
        """Replace held closed candles (all but the forming last one) by the exchange's ones
        with the same start: their final values. Returns how many were replaced."""
        if not len(candles) or not len(self.x):
            return 0
        columns = self.columns_from(candles)
        index = np.searchsorted(self.x, columns["x"])
        held = (index < len(self.x) - 1) & (self.x[np.minimum(index, len(self.x) - 1)] == columns["x"])
        for name in COLUMNS[1:]:
            getattr(self, name)[index[held]] = columns[name][held]
        return int(held.sum())

    def apply_trade(self, price: float, trade_ms: int, volume: float = 0.0, trade_id: int | None = None) -> str:
        """Fold one trade into the series: ``"updated"``, ``"appended"`` or ``"ignored"``.

        A trade inside the last candle moves its close and stretches high/low; a
        trade in a later interval opens a new candle; older trades are ignored, and
        so is a trade already counted (same ``trade_id``, or no later than the last
        trade the loaded candles include).
        """
        start_s = floor_ms(self.timeframe, trade_ms) / 1000.0
        if len(self.x) and start_s < self.x[-1]:
            return "ignored"
        if trade_ms <= self._last_trade_ms or (trade_id is not None and trade_id in self._counted_ids):
            return "ignored"
        counted = volume
        if len(self.x) and start_s == self.x[-1]:
            self.close[-1] = price
            self.high[-1] = max(self.high[-1], price)
            self.low[-1] = min(self.low[-1], price)
            self.volume[-1] += counted
            self._remember(trade_id)
            return "updated"
        self._counted_ids.clear()  # ids of a closed candle can no longer recur
        self._remember(trade_id)
        self.x = np.append(self.x, start_s)
        self.open = np.append(self.open, price)
        self.high = np.append(self.high, price)
        self.low = np.append(self.low, price)
        self.close = np.append(self.close, price)
        self.volume = np.append(self.volume, counted)
        return "appended"

    def _remember(self, trade_id: int | None) -> None:
        if trade_id is not None:
            self._counted_ids.add(trade_id)

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


def view_y(values: NDArray[np.float64], log_y: bool) -> NDArray[np.float64]:
    """Prices in a plot's y coordinates: as they are, or log10 on a log axis (a price of
    zero or below has no place there and becomes -inf or NaN, which the items skip)."""
    if not log_y:
        return values
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log10(values)
