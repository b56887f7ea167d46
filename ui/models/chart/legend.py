"""The chart's always-visible OHLC legend: the hovered candle, or the last one (no Qt)."""

from __future__ import annotations

from datetime import datetime

from ui.models.chart.series import CandleSeries
from ui.models.formatting import KST, format_amount, format_price


def legend_text(market: str, timeframe: str, series: CandleSeries, index: int | None = None) -> str:
    """``KRW-BTC 1m  2026-01-02 09:05 KST  O … H … L … C … (+0.12%)  V …`` for candle ``index``
    (the last one when None); just the market and timeframe while nothing is loaded."""
    if not len(series):
        return f"{market} {timeframe}"
    i = len(series) - 1 if index is None else min(max(index, 0), len(series) - 1)
    candle = series.candle(i)
    when = datetime.fromtimestamp(candle["x"], tz=KST).strftime("%Y-%m-%d %H:%M KST")
    change = (candle["close"] - candle["open"]) / candle["open"] * 100 if candle["open"] else 0.0
    return (
        f"{market} {timeframe}  {when}   O {format_price(candle['open'])}"
        f"  H {format_price(candle['high'])}  L {format_price(candle['low'])}"
        f"  C {format_price(candle['close'])}  ({change:+.2f}%)"
        f"  V {format_amount(candle['volume'])}"
    )
