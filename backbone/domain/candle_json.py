"""Upbit's REST candle JSON read straight into numpy columns, and checked once, here.

A candle page arrives as a JSON array of objects, newest first. Each field is pulled
out of every row in one C-level pass (no object per candle), the candle times are
parsed by numpy, and the whole page is checked at once: every row is the asked
market's, every start is aligned to the timeframe, every price, volume and value is a
finite number. The first row at fault raises :class:`MalformedAnswerError` naming
Upbit's field, so the router retries the call instead of keeping wrong data.

``CandleColumns.from_upbit`` is the door to this module; the WebSocket's single
candles keep ``Candle.from_upbit``.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from itertools import repeat
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backbone.domain.errors import MalformedAnswerError
from backbone.domain.models import UPBIT_CANDLE_VALUES
from backbone.domain.timeframes import Timeframe, slot_starts_of

TIME_FIELD = "candle_date_time_utc"
REQUIRED_FIELDS = ("market", TIME_FIELD, *(upbit for upbit, _ in UPBIT_CANDLE_VALUES))
# Upbit's day-candle extras, by the column that holds them (NaN where a row has none).
OPTIONAL_FIELDS = ("prev_closing_price", "change_price", "change_rate")
_TIME_TEXT = "yyyy-MM-ddTHH:mm:ss"  # the shape of every start Upbit sends: UTC, no zone
_INT_COLUMNS = {"last_trade_ms"}
_read_required = operator.itemgetter(*REQUIRED_FIELDS)


def upbit_candle_arrays(
    market: str, timeframe: Timeframe, rows: Sequence[Mapping[str, Any]]
) -> dict[str, NDArray[Any]]:
    """The columns of ``rows`` in the order given, named as ``CandleColumns`` names them.

    ``filled`` is all false (the exchange never fills). Raises
    :class:`MalformedAnswerError` when any row is not a candle of ``market`` at a
    ``timeframe`` start with finite numbers.
    """
    if not isinstance(rows, list | tuple):
        raise MalformedAnswerError(
            "rows", None, f"a candle answer must be a JSON array, got {type(rows).__name__}"
        )
    count = len(rows)
    try:
        table = list(map(_read_required, rows))
    except (KeyError, TypeError):
        raise _first_missing(rows) from None
    markets, times, *values = zip(*table, strict=True) if count else [()] * len(REQUIRED_FIELDS)
    if markets.count(market) != count:
        row = next(i for i, given in enumerate(markets) if given != market)
        raise MalformedAnswerError(
            "market", row, f"market {markets[row]!r} in an answer asked for {market}"
        )
    start_ms = _start_ms(times)
    aligned = slot_starts_of(start_ms, timeframe) == start_ms
    if not aligned.all():
        row = int(np.argmin(aligned))
        raise MalformedAnswerError(
            TIME_FIELD, row, f"{TIME_FIELD} {times[row]!r} is not a {timeframe.code} candle's start"
        )
    columns: dict[str, NDArray[Any]] = {"start_ms": start_ms}
    for (upbit, name), given in zip(UPBIT_CANDLE_VALUES, values, strict=True):
        columns[name] = _numbers(upbit, given, np.int64 if name in _INT_COLUMNS else np.float64)
    for name in OPTIONAL_FIELDS:
        # Most pages are not day candles: asking each row for a field none has costs more.
        if any(map(operator.contains, rows, repeat(name))):
            columns[name] = _numbers(name, [row.get(name) for row in rows], np.float64, optional=True)
        else:
            columns[name] = np.full(count, np.nan)
    columns["filled"] = np.zeros(count, np.bool_)
    return columns


def _start_ms(times: tuple[Any, ...]) -> NDArray[np.int64]:
    """Upbit's start texts as epoch milliseconds, every one at once."""
    if not times:
        return np.empty(0, np.int64)
    # numpy would read a number as an offset from the epoch and a shorter or longer text
    # (a bare year, a zone, a fraction) as something else: only Upbit's exact shape passes.
    if set(map(type, times)) != {str} or set(map(len, times)) != {len(_TIME_TEXT)}:
        row = next(i for i, text in enumerate(times) if not _shaped_time(text))
        raise MalformedAnswerError(
            TIME_FIELD, row, f"{TIME_FIELD} {times[row]!r} is not UTC text {_TIME_TEXT}"
        )
    try:
        parsed = np.array(times, dtype="datetime64[ms]")
    except ValueError:
        parsed = None
    if parsed is None or np.isnat(parsed).any():
        row = next(i for i, text in enumerate(times) if not _readable_time(text))
        raise MalformedAnswerError(TIME_FIELD, row, f"{TIME_FIELD} {times[row]!r} is not a time")
    return parsed.astype(np.int64)


def _shaped_time(text: Any) -> bool:
    return type(text) is str and len(text) == len(_TIME_TEXT)


def _readable_time(text: str) -> bool:
    try:
        return not np.isnat(np.datetime64(text, "ms"))
    except ValueError:
        return False


def _numbers(
    field: str, given: Sequence[Any], dtype: type[np.generic], *, optional: bool = False
) -> NDArray[Any]:
    """One field of every row as a column; a missing optional number (null) becomes NaN."""
    try:
        column = np.array(given, dtype=dtype)
    except (TypeError, ValueError, OverflowError):
        row = next(i for i, value in enumerate(given) if not _readable_number(value, dtype))
        raise MalformedAnswerError(field, row, f"{field} {given[row]!r} is not a number") from None
    if dtype is np.float64:
        bad = np.isinf(column) if optional else ~np.isfinite(column)
        if bad.any():
            row = int(np.argmax(bad))
            raise MalformedAnswerError(field, row, f"{field} {given[row]!r} is not a finite number")
    return column


def _readable_number(value: Any, dtype: type[np.generic]) -> bool:
    try:
        np.array([value], dtype=dtype)
    except (TypeError, ValueError, OverflowError):
        return False
    return True


def _first_missing(rows: Sequence[Any]) -> MalformedAnswerError:
    """The first row that is not an object, or lacks a field every candle has."""
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            return MalformedAnswerError(
                "rows", index, f"each candle must be a JSON object, got {type(row).__name__}"
            )
        for field in REQUIRED_FIELDS:
            if field not in row:
                return MalformedAnswerError(field, index, f"{field} is missing")
    return MalformedAnswerError("rows", None, "the candle rows could not be read")
