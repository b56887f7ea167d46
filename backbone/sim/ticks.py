"""Price grids: Upbit's tick sizes per quote currency, and vectorised rounding onto them.

Declared once as data. KRW follows the table in force since 31 July 2025 (the
lower bands continue the same decade pattern); BTC markets use one 1e-8 tick;
USDT markets follow their own decade table.
"""

from __future__ import annotations

import numpy as np

# (lower bound inclusive, tick size, decimals) from the highest band down.
_KRW_BANDS: tuple[tuple[float, float, int], ...] = (
    (2_000_000.0, 1000.0, 0),
    (1_000_000.0, 1000.0, 0),
    (500_000.0, 500.0, 0),
    (100_000.0, 100.0, 0),
    (50_000.0, 50.0, 0),
    (10_000.0, 10.0, 0),
    (5_000.0, 5.0, 0),
    (1_000.0, 1.0, 0),
    (100.0, 1.0, 0),
    (10.0, 0.1, 1),
    (1.0, 0.01, 2),
    (0.1, 0.001, 3),
    (0.01, 0.0001, 4),
    (0.001, 0.00001, 5),
    (0.0001, 0.000001, 6),
    (0.00001, 0.0000001, 7),
    (0.0, 0.00000001, 8),
)
_USDT_BANDS: tuple[tuple[float, float, int], ...] = (
    (10.0, 0.01, 2),
    (1.0, 0.001, 3),
    (0.1, 0.0001, 4),
    (0.01, 0.00001, 5),
    (0.001, 0.000001, 6),
    (0.0001, 0.0000001, 7),
    (0.0, 0.00000001, 8),
)
_BTC_BANDS: tuple[tuple[float, float, int], ...] = ((0.0, 0.00000001, 8),)

BANDS: dict[str, tuple[tuple[float, float, int], ...]] = {
    "KRW": _KRW_BANDS,
    "USDT": _USDT_BANDS,
    "BTC": _BTC_BANDS,
}


class PriceGrid:
    """Rounds prices of one quote currency onto its tick grid (monotone, vectorised)."""

    def __init__(self, quote: str) -> None:
        bands = BANDS[quote]
        # Ascending bounds for searchsorted.
        self._bounds = np.array([band[0] for band in reversed(bands)])
        self._ticks = np.array([band[1] for band in reversed(bands)])
        # Whole ticks multiply exactly; decimal ticks divide by an exact power of ten so
        # the float is the one nearest the decimal (prints short).
        self._scale = np.array([10.0 ** band[2] for band in reversed(bands)])
        self._decimals = np.array([band[2] for band in reversed(bands)])
        self.quote = quote

    def _band(self, prices: np.ndarray) -> np.ndarray:
        return np.searchsorted(self._bounds, prices, side="right") - 1

    def round(self, prices: np.ndarray) -> np.ndarray:
        """Nearest grid price for each price."""
        band = self._band(prices)
        tick = self._ticks[band]
        scale = self._scale[band]
        steps = np.rint(prices / tick)
        return np.where(scale == 1.0, steps * tick, np.rint(steps * tick * scale) / scale)

    def round_one(self, price: float) -> float:
        """Nearest grid price for one price."""
        return float(self.round(np.array([price]))[0])

    def tick(self, price: float) -> float:
        """The tick size that applies at ``price``."""
        return float(self._ticks[self._band(np.array([price]))[0]])

    def decimals(self, price: float) -> int:
        """How many decimals a price at this level carries."""
        return int(self._decimals[self._band(np.array([price]))[0]])
