"""The chart timeframes the panels offer; the arithmetic is the backbone's ``Timeframe``.

Upbit keys candles on their UTC start: minutes and hours align to the epoch,
days start at 00:00 UTC (09:00 KST), weeks on Monday, months on the 1st. The
panels work in epoch milliseconds, so the two helpers here only convert.
"""

from __future__ import annotations

from backbone.domain.clock import ms_to_utc, utc_to_ms
from backbone.domain.timeframes import parse_timeframe

# Button order in the chart; the backbone accepts these codes.
CHART_TIMEFRAMES: tuple[str, ...] = ("1m", "3m", "5m", "15m", "30m", "1h", "4h", "1d", "1w", "1M")


def timeframe_seconds(code: str) -> int:
    """Nominal length of one candle (months count 31 days); ValueError naming the allowed codes."""
    return parse_timeframe(code).seconds


def floor_ms(code: str, when_ms: int) -> int:
    """Start (epoch ms, UTC) of the ``code`` candle containing ``when_ms``."""
    return utc_to_ms(parse_timeframe(code).floor(ms_to_utc(when_ms)))
