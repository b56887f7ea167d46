"""How big a history load is before it starts: pages, time, and whether to ask first."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

PAGE_CANDLES = 200  # Upbit's largest candle page
CONFIRM_PAGES = 1_000
"""Above this many pages (minutes of loading at Upbit's rate) the panel asks before starting."""


@dataclass(frozen=True, slots=True)
class LoadPlan:
    """The most a range can cost: candle slots, exchange pages, and seconds at the page rate."""

    candles: int
    pages: int
    seconds: float
    pages_per_s: float

    @property
    def needs_confirmation(self) -> bool:
        return self.pages > CONFIRM_PAGES

    def question(self) -> str:
        """What the panel asks before a long load."""
        return (
            f"This range needs up to {self.pages:,} pages of {PAGE_CANDLES} candles "
            f"({self.candles:,} candles), about {duration_text(self.seconds)} at "
            f"{self.pages_per_s:g} pages a second. Candles already stored are not fetched again. "
            "Load it?"
        )


def plan_load(start: datetime, end: datetime, bar_seconds: float, pages_per_s: float) -> LoadPlan:
    """The plan of loading ``[start, end)`` of ``bar_seconds`` candles at ``pages_per_s``."""
    if pages_per_s <= 0:
        raise ValueError(f"pages_per_s must be positive, got {pages_per_s}")
    candles = max(0, math.ceil((end - start).total_seconds() / bar_seconds))
    pages = math.ceil(candles / PAGE_CANDLES)
    return LoadPlan(candles, pages, pages / pages_per_s, pages_per_s)


def duration_text(seconds: float) -> str:
    """``45 s``, ``12 min``, ``1 h 28 min``, ``3 d 4 h``."""
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
