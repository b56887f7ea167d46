"""Forward-filling slots without trades, for callers that want a continuous series.

Upbit sends no candle for an interval without trades. A filled candle carries the
previous close as open, high, low and close, zero volume and value, the previous
candle's last trade time, and ``filled=True`` so it is never mistaken for a traded one.
All slots are filled at once on the columns.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from backbone.domain.candle_columns import CandleColumns
from backbone.domain.clock import utc_to_ms
from backbone.domain.timeframes import Timeframe


def slot_starts(timeframe: Timeframe, start: datetime, end: datetime) -> np.ndarray:
    """Every candle start in ``[start, end)`` (``start`` aligned) as epoch ms, ascending."""
    if not timeframe.calendar:
        step = timeframe.seconds * 1000
        return np.arange(utc_to_ms(start), utc_to_ms(end), step, dtype=np.int64)
    starts = []
    slot = start
    while slot < end:
        starts.append(utc_to_ms(slot))
        slot = timeframe.shift(slot, 1)
    return np.asarray(starts, dtype=np.int64)


def fill_gaps(
    candles: CandleColumns,
    timeframe: Timeframe,
    start: datetime,
    end: datetime,
    previous: CandleColumns | None = None,
) -> CandleColumns:
    """One candle per slot of ``[start, end)``, ascending, filling slots without trades.

    ``candles`` must lie inside the range. Slots before the first real candle are
    filled only when ``previous`` (ending with the last candle before ``start``) is
    given; otherwise the series begins at the first real candle.
    """
    base = candles if previous is None or not len(previous) else CandleColumns.concat((previous.last(1), candles))
    if not len(base):
        return candles
    slots = slot_starts(timeframe, start, end)
    source = np.searchsorted(base.start_ms, slots, side="right") - 1
    slots, source = slots[source >= 0], source[source >= 0]
    real = base.start_ms[source] == slots
    close = base.close[source]
    nan = np.full(len(slots), np.nan)
    return CandleColumns(
        candles.market,
        timeframe,
        start_ms=slots,
        open=np.where(real, base.open[source], close),
        high=np.where(real, base.high[source], close),
        low=np.where(real, base.low[source], close),
        close=close,
        volume=np.where(real, base.volume[source], 0.0),
        value=np.where(real, base.value[source], 0.0),
        last_trade_ms=base.last_trade_ms[source],
        prev_closing_price=np.where(real, base.prev_closing_price[source], nan),
        change_price=np.where(real, base.change_price[source], nan),
        change_rate=np.where(real, base.change_rate[source], nan),
        filled=np.where(real, base.filled[source], True),
    )
