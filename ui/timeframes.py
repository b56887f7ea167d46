"""The chart timeframes the panels offer, and candle-start arithmetic in epoch milliseconds.

Upbit keys candles on their UTC start: minutes and hours align to the epoch,
days start at 00:00 UTC (09:00 KST), weeks on Monday, months on the 1st.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

# Button order in the chart; the backbone accepts these codes.
CHART_TIMEFRAMES: tuple[str, ...] = ("1m", "3m", "5m", "15m", "30m", "1h", "4h", "1d", "1w", "1M")

_SECONDS = {
    "1s": 1, "1m": 60, "3m": 180, "5m": 300, "10m": 600, "15m": 900, "30m": 1800,
    "1h": 3600, "60m": 3600, "4h": 14400, "240m": 14400, "1d": 86400, "1w": 604800,
    "1M": 2_592_000,  # nominal 30 days: used for widths and rates, never for alignment
}
_MONDAY_OFFSET_S = 4 * 86400  # 1970-01-01 was a Thursday; the first Monday is 4 days later


def timeframe_seconds(code: str) -> int:
    """Nominal length of one candle; ValueError naming the allowed codes otherwise."""
    try:
        return _SECONDS[code]
    except KeyError:
        raise ValueError(
            f"timeframe {code!r} is not one of: {', '.join(CHART_TIMEFRAMES)}"
        ) from None


def floor_ms(code: str, when_ms: int) -> int:
    """Start (epoch ms, UTC) of the ``code`` candle containing ``when_ms``."""
    seconds = timeframe_seconds(code)
    when_s = when_ms // 1000
    if code == "1M":
        moment = datetime.fromtimestamp(when_s, tz=UTC)
        return int(datetime(moment.year, moment.month, 1, tzinfo=UTC).timestamp()) * 1000
    if code == "1w":
        return ((when_s - _MONDAY_OFFSET_S) // seconds * seconds + _MONDAY_OFFSET_S) * 1000
    return when_s // seconds * seconds * 1000


def upbit_start_ms(candle: Mapping[str, Any]) -> int:
    """A candle dict's UTC start (``candle_date_time_utc``, zone-less) as epoch ms."""
    text = candle["candle_date_time_utc"]
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()) * 1000


def ms_to_datetime(ms: int) -> datetime:
    """Epoch milliseconds to an aware UTC datetime."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC)
