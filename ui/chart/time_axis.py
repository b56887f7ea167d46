"""A pyqtgraph time axis that labels epoch seconds in Korea Standard Time (UTC+9).

Ticks fall on round KST times (whole minutes, hours, KST midnight, the 1st of
a month, 1 January), spaced so labels do not collide; the label format follows
the spacing.
"""

from __future__ import annotations

from datetime import datetime

from ui.chart.axis_drawing import DirectAxis
from ui.models.formatting import KST

_KST_OFFSET_S = 9 * 3600
_DAY = 86400

# Candidate spacings in seconds, from one second to one year (months/years are calendar).
_SPACINGS: tuple[int, ...] = (
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 2 * 3600, 3 * 3600, 6 * 3600,
    12 * 3600, _DAY, 2 * _DAY, 7 * _DAY, 14 * _DAY,
)
_MONTH = 30 * _DAY
_YEAR = 365 * _DAY
_MONTH_STEPS = (1, 2, 3, 6)


def kst_label(epoch_s: float, spacing: float) -> str:
    """Label for a tick at ``epoch_s`` when ticks are ``spacing`` seconds apart."""
    moment = datetime.fromtimestamp(epoch_s, tz=KST)
    if spacing >= _YEAR:
        return moment.strftime("%Y")
    if spacing >= _MONTH:
        return moment.strftime("%Y-%m")
    if spacing >= _DAY:
        return moment.strftime("%m-%d")
    if spacing >= 60:
        # A tick on KST midnight names the day so the date stays readable.
        if moment.hour == 0 and moment.minute == 0:
            return moment.strftime("%m-%d")
        return moment.strftime("%H:%M")
    return moment.strftime("%H:%M:%S")


def kst_ticks(min_s: float, max_s: float, max_ticks: int) -> tuple[float, list[float]]:
    """(spacing, tick positions) on round KST times inside ``[min_s, max_s]``."""
    span = max(max_s - min_s, 1e-9)
    target = span / max(max_ticks, 1)
    for spacing in _SPACINGS:
        if spacing >= target:
            return float(spacing), _aligned(min_s, max_s, spacing)
    for months in _MONTH_STEPS:
        if months * _MONTH >= target:
            return float(months * _MONTH), _calendar_ticks(min_s, max_s, months)
    years = max(1, int(-(-target // _YEAR)))
    return float(years * _YEAR), _calendar_ticks(min_s, max_s, 12 * years)


def _aligned(min_s: float, max_s: float, spacing: int) -> list[float]:
    if spacing == 7 * _DAY or spacing == 14 * _DAY:
        # Weeks begin on Monday 00:00 KST; 1970-01-05 was a Monday.
        origin = 4 * _DAY - _KST_OFFSET_S
    else:
        origin = -_KST_OFFSET_S  # KST midnight
    first = origin + -(-(min_s - origin) // spacing) * spacing
    count = int((max_s - first) // spacing) + 1
    return [first + i * spacing for i in range(max(count, 0))]


def _calendar_ticks(min_s: float, max_s: float, months: int) -> list[float]:
    start = datetime.fromtimestamp(min_s, tz=KST)
    index = start.year * 12 + start.month - 1
    index += -index % months
    out = []
    while True:
        moment = datetime(index // 12, index % 12 + 1, 1, tzinfo=KST)
        value = moment.timestamp()
        if value > max_s:
            return out
        if value >= min_s:
            out.append(value)
        index += months


class KstTimeAxis(DirectAxis):
    """Bottom axis for charts whose x is UTC epoch seconds, labelled in KST."""

    def __init__(self, orientation: str = "bottom", **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)
        # Epoch seconds take no SI prefix; left on, the axis rebuilt its (hidden) label every frame.
        self.enableAutoSIPrefix(False)
        self._pixels_per_label = 90.0

    def tickValues(
        self, minVal: float, maxVal: float, size: float
    ) -> list[tuple[float, list[float]]]:
        spacing, ticks = kst_ticks(minVal, maxVal, int(size / self._pixels_per_label) or 1)
        return [(spacing, ticks)]

    def tickStrings(
        self, values: list[float], scale: float, spacing: float
    ) -> list[str]:
        return [kst_label(v, spacing) for v in values]
