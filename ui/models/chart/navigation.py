"""Where the chart may be scrolled and zoomed, and when it needs older history (no Qt)."""

from __future__ import annotations

from ui.models.chart.series import CandleSeries
from ui.timeframes import CHART_TIMEFRAMES

# The chart also offers Upbit's one-second candles, as Upbit's own chart does.
TIMEFRAMES: tuple[str, ...] = ("1s", *CHART_TIMEFRAMES)

FUTURE_MARGIN_CANDLES = 8  # empty room kept right of the live candle
EDGE_CANDLES = 5  # ask for older history when the view comes this close to the oldest candle
MIN_VISIBLE_CANDLES = 10  # zooming in stops here


def right_limit(series: CandleSeries) -> float | None:
    """The furthest the view's right edge may go: a few candles past the live one."""
    if not len(series):
        return None
    return float(series.x[-1] + series.width * (1 + FUTURE_MARGIN_CANDLES))


def needs_older(series: CandleSeries, view_left: float, *, exhausted: bool) -> bool:
    """True while the view reaches (almost) past the oldest candle held and older ones may exist."""
    if exhausted or not len(series):
        return False
    return view_left < float(series.x[0]) + EDGE_CANDLES * series.width


def latest_range(series: CandleSeries, candles: int) -> tuple[float, float] | None:
    """The x range framing the last ``candles`` candles, with the live candle's margin on the right."""
    if not len(series):
        return None
    first = float(series.x[max(0, len(series) - candles)])
    return first, float(series.x[-1] + series.width * 3)


def visible_candles(series: CandleSeries, low: float, high: float) -> int:
    """How many candle widths the range ``[low, high]`` spans (remembered as the zoom level)."""
    if not series.width:
        return 0
    return max(MIN_VISIBLE_CANDLES, round((high - low) / series.width))
