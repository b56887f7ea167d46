"""A price axis that prints prices the way Upbit does (no scientific notation)."""

from __future__ import annotations

import pyqtgraph as pg

from ui.models.formatting import format_amount, format_price

AXIS_WIDTH = 86  # both panes use it, so their time axes line up


class PriceAxis(pg.AxisItem):
    """Right-hand axis with thousands separators; ``compact`` uses K/M/B for volumes."""

    def __init__(self, orientation: str = "right", *, compact: bool = False, **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)
        self.compact = compact
        self.enableAutoSIPrefix(False)
        self.setWidth(AXIS_WIDTH)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if self.compact:
            return [format_amount(v * scale) for v in values]
        if spacing < 1:
            digits = min(8, max(0, -int(f"{spacing:e}".split("e")[1])))
            return [f"{v * scale:,.{digits}f}" for v in values]
        return [format_price(v * scale) for v in values]
