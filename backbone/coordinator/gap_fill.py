"""Forward-filling minutes without trades, for callers that want a continuous series.

Upbit sends no candle for an interval without trades. A filled candle carries the
previous close as open, high, low and close, zero volume and value, and
``filled=True`` so it is never mistaken for a traded one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from backbone.domain.models import Candle
from backbone.domain.timeframes import Timeframe


def filled_from(previous: Candle, start: datetime) -> Candle:
    """A candle at ``start`` with no trades, continuing ``previous``'s close."""
    close = previous.close
    return replace(
        previous,
        start=start,
        open=close,
        high=close,
        low=close,
        close=close,
        value=0.0,
        volume=0.0,
        filled=True,
        prev_closing_price=None,
        change_price=None,
        change_rate=None,
    )


def fill_gaps(
    candles: Sequence[Candle],
    timeframe: Timeframe,
    start: datetime,
    end: datetime,
    previous: Candle | None = None,
) -> list[Candle]:
    """One candle per slot of ``[start, end)``, ascending, filling slots without trades.

    ``candles`` must be ascending, distinct and inside the range. Slots before the
    first real candle are filled only when ``previous`` (the last candle before
    ``start``) is given; otherwise the series begins at the first real candle.
    """
    out: list[Candle] = []
    last = previous
    index = 0
    slot = start if previous is not None or not candles else candles[0].start
    while slot < end:
        if index < len(candles) and candles[index].start == slot:
            last = candles[index]
            out.append(last)
            index += 1
        elif last is not None:
            out.append(filled_from(last, slot))
        slot = timeframe.shift(slot, 1)
    return out
