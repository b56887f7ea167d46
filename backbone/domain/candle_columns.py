"""``CandleColumns``: the one candle representation, numpy columns from storage to screen.

Storage reads into it, the coordinator merges pages and the forming tail in it, the
memory cache holds it, and panels draw and backtest from it. The seed's Upbit-named
dicts are made from it only at the API door (``to_upbit``), all rows at once.

Invariants, checked on construction: every column has the same length, starts
ascend strictly (one candle per start), and the arrays are read-only views, so a
``CandleColumns`` can be shared between callers, cached and sliced without copies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from backbone.domain.candle_json import upbit_candle_arrays
from backbone.domain.clock import KST_OFFSET_MS, ms_to_utc, utc_to_ms
from backbone.domain.errors import InvalidInputError
from backbone.domain.models import UPBIT_CANDLE_VALUES, Candle, UpbitDict
from backbone.domain.timeframes import Timeframe, parse_timeframe

if TYPE_CHECKING:
    import pandas as pd

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

# Column name -> dtype, in the order the dataclass declares them.
COLUMN_DTYPES: dict[str, type[np.generic]] = {
    "start_ms": np.int64,
    "open": np.float64,
    "high": np.float64,
    "low": np.float64,
    "close": np.float64,
    "volume": np.float64,
    "value": np.float64,
    "last_trade_ms": np.int64,
    "prev_closing_price": np.float64,
    "change_price": np.float64,
    "change_rate": np.float64,
    "filled": np.bool_,
}
OPTIONAL_COLUMNS = ("prev_closing_price", "change_price", "change_rate")  # NaN where absent


@dataclass(frozen=True, slots=True, eq=False)
class CandleColumns:
    """Candles of one market and timeframe as immutable numpy columns, ascending by start.

    ``start_ms`` is each candle's UTC start in epoch milliseconds (``start`` gives it as
    ``datetime64[ms]``); ``open``/``high``/``low``/``close`` are prices, ``volume`` the
    traded amount (``candle_acc_trade_volume``) and ``value`` the traded price total
    (``candle_acc_trade_price``); ``last_trade_ms`` is Upbit's ``timestamp`` (the
    candle's last trade). Day candles carry ``prev_closing_price``, ``change_price`` and
    ``change_rate`` (NaN elsewhere). ``filled`` marks candles synthesised for a slot
    without trades (``fill_gaps``).

    Build one with ``from_upbit`` (an exchange page), ``from_candles``, ``from_ohlcv``
    or ``empty``; combine with ``concat`` (disjoint, in order) or ``merge`` (by start,
    the other side wins); cut with slices, ``between`` or ``take``. Nothing here copies
    unless it must.
    """

    market: str
    timeframe: Timeframe
    start_ms: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    value: FloatArray
    last_trade_ms: IntArray
    prev_closing_price: FloatArray
    change_price: FloatArray
    change_rate: FloatArray
    filled: BoolArray

    def __post_init__(self) -> None:
        object.__setattr__(self, "timeframe", parse_timeframe(self.timeframe))
        length: int | None = None
        for name, dtype in COLUMN_DTYPES.items():
            column = np.ascontiguousarray(getattr(self, name), dtype=dtype)
            if column.ndim != 1:
                raise InvalidInputError("INVALID_CANDLES", name, f"{name} must be one-dimensional")
            if length is None:
                length = column.shape[0]
            elif column.shape[0] != length:
                raise InvalidInputError(
                    "INVALID_CANDLES", name, f"{name} has {column.shape[0]} rows, start_ms has {length}"
                )
            view = column.view()
            view.flags.writeable = False
            object.__setattr__(self, name, view)
        starts = self.start_ms
        if starts.shape[0] > 1 and not bool(np.all(starts[1:] > starts[:-1])):
            raise InvalidInputError(
                "INVALID_CANDLES", "start_ms", "candle starts must ascend with no start given twice"
            )

    # -- construction -------------------------------------------------------------------

    @classmethod
    def empty(cls, market: str, timeframe: Timeframe | str) -> CandleColumns:
        """No candles."""
        return cls(market, parse_timeframe(timeframe), **{n: np.empty(0, d) for n, d in COLUMN_DTYPES.items()})

    @classmethod
    def from_ohlcv(
        cls,
        start_ms: Sequence[int] | IntArray,
        open: Sequence[float] | FloatArray,
        high: Sequence[float] | FloatArray,
        low: Sequence[float] | FloatArray,
        close: Sequence[float] | FloatArray,
        volume: Sequence[float] | FloatArray,
        *,
        market: str = "",
        timeframe: Timeframe | str = "1m",
        value: Sequence[float] | FloatArray | None = None,
        last_trade_ms: Sequence[int] | IntArray | None = None,
    ) -> CandleColumns:
        """Columns from OHLCV arrays (ascending); missing Upbit fields are zero or absent."""
        starts = np.asarray(start_ms, dtype=np.int64)
        n = starts.shape[0]
        nan = np.full(n, np.nan)
        return cls(
            market,
            parse_timeframe(timeframe),
            starts,
            np.asarray(open, np.float64),
            np.asarray(high, np.float64),
            np.asarray(low, np.float64),
            np.asarray(close, np.float64),
            np.asarray(volume, np.float64),
            np.zeros(n) if value is None else np.asarray(value, np.float64),
            starts if last_trade_ms is None else np.asarray(last_trade_ms, np.int64),
            nan,
            nan,
            nan,
            np.zeros(n, np.bool_),
        )

    @classmethod
    def from_candles(
        cls, market: str, timeframe: Timeframe | str, candles: Sequence[Candle]
    ) -> CandleColumns:
        """Columns from ``Candle`` records (an exchange page: a few hundred at most).

        Order does not matter; a start given twice keeps its last candle.
        """
        tf = parse_timeframe(timeframe)
        if not candles:
            return cls.empty(market, tf)
        starts = np.fromiter((utc_to_ms(c.start) for c in candles), np.int64, len(candles))
        keep = _ascending_last_of_each(starts)
        rows = [candles[i] for i in keep.tolist()]

        def column(name: str, dtype: type[np.generic]) -> NDArray[Any]:
            return np.fromiter((_nan_if_none(getattr(c, name)) for c in rows), dtype, len(rows))

        return cls(
            market,
            tf,
            starts[keep],
            *(column(name, COLUMN_DTYPES[name]) for name in _RECORD_FIELDS),
        )

    @classmethod
    def from_upbit(
        cls, market: str, timeframe: Timeframe | str, rows: Sequence[Mapping[str, Any]]
    ) -> CandleColumns:
        """Columns straight from Upbit's REST candle JSON rows (newest first, as sent).

        Every field is read for all rows at once; no object is made per candle. The
        same columns ``from_candles`` gives over ``Candle.from_upbit`` of each row:
        ascending, a start given twice keeps its last row, the day-candle extras NaN
        where a row has none. Raises :class:`MalformedAnswerError` (naming Upbit's
        field and the row) unless every row is a ``market`` candle starting on a
        ``timeframe`` boundary with finite prices, volume and value.
        """
        tf = parse_timeframe(timeframe)
        columns = upbit_candle_arrays(market, tf, rows)
        keep = _ascending_last_of_each(columns["start_ms"])
        return cls(market, tf, **{name: column[keep] for name, column in columns.items()})

    @classmethod
    def concat(cls, parts: Iterable[CandleColumns]) -> CandleColumns:
        """Join parts that are each ascending and, in the order given, disjoint and in time order."""
        chunks = [p for p in parts]
        if not chunks:
            raise InvalidInputError("INVALID_CANDLES", "parts", "concat needs at least one part")
        first = chunks[0]
        nonempty = [p for p in chunks if len(p)]
        if len(nonempty) <= 1:
            return nonempty[0] if nonempty else first
        for part in nonempty:
            first._check_same_series(part)
        return cls(
            first.market,
            first.timeframe,
            **{n: np.concatenate([getattr(p, n) for p in nonempty]) for n in COLUMN_DTYPES},
        )

    # -- reading -----------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self.start_ms.shape[0])

    def __getitem__(self, index: slice | NDArray[Any]) -> CandleColumns:
        """A slice (views, no copy) or a boolean mask / ascending index array."""
        if isinstance(index, slice) and index.step not in (None, 1):
            raise InvalidInputError("INVALID_CANDLES", "index", "only contiguous slices keep candles ascending")
        return CandleColumns(
            self.market, self.timeframe, **{n: getattr(self, n)[index] for n in COLUMN_DTYPES}
        )

    def take(self, index: NDArray[Any]) -> CandleColumns:
        """The rows a boolean mask or an ascending index array selects."""
        return self[np.asarray(index)]

    def between(self, start_ms: int, end_ms: int) -> CandleColumns:
        """Candles with start in ``[start_ms, end_ms)`` (a view)."""
        lo = int(np.searchsorted(self.start_ms, start_ms, side="left"))
        hi = int(np.searchsorted(self.start_ms, end_ms, side="left"))
        return self[lo:hi]

    def last(self, count: int) -> CandleColumns:
        """The ``count`` newest candles (a view)."""
        return self[max(0, len(self) - count) :] if count > 0 else self[0:0]

    @property
    def start(self) -> NDArray[np.datetime64]:
        """Starts as ``datetime64[ms]`` (UTC), for plotting or pandas."""
        return self.start_ms.astype("datetime64[ms]")

    @property
    def nbytes(self) -> int:
        """Bytes the columns take (what the memory cache counts)."""
        return sum(getattr(self, n).nbytes for n in COLUMN_DTYPES)

    def equals(self, other: CandleColumns) -> bool:
        """Same market, timeframe and every column equal (NaN equal to NaN)."""
        return (
            self.market == other.market
            and self.timeframe == other.timeframe
            and len(self) == len(other)
            and all(
                np.array_equal(getattr(self, n), getattr(other, n), equal_nan=n in OPTIONAL_COLUMNS)
                for n in COLUMN_DTYPES
            )
        )

    # -- combining ---------------------------------------------------------------------

    def merge(self, other: CandleColumns) -> CandleColumns:
        """Both sets of candles by start; where both hold a start, ``other``'s candle wins."""
        if not len(other):
            return self
        if not len(self):
            return other
        self._check_same_series(other)
        if other.start_ms[0] > self.start_ms[-1]:
            return CandleColumns.concat((self, other))
        if other.start_ms[-1] < self.start_ms[0]:
            return CandleColumns.concat((other, self))
        kept = self.take(~np.isin(self.start_ms, other.start_ms, assume_unique=True))
        joined = {n: np.concatenate((getattr(kept, n), getattr(other, n))) for n in COLUMN_DTYPES}
        order = np.argsort(joined["start_ms"], kind="stable")
        return CandleColumns(self.market, self.timeframe, **{n: c[order] for n, c in joined.items()})

    # -- leaving the columns -----------------------------------------------------------

    def to_candles(self) -> list[Candle]:
        """``Candle`` records (for code that wants one object per candle; avoid on bulk data)."""
        tf = self.timeframe
        columns = [getattr(self, name).tolist() for name in _RECORD_FIELDS]
        return [
            Candle(
                self.market, tf, ms_to_utc(start), o, h, lo, c, last, value, volume, filled,
                _none_if_nan(prev), _none_if_nan(change), _none_if_nan(rate),
            )
            for start, (o, h, lo, c, volume, value, last, prev, change, rate, filled) in zip(
                self.start_ms.tolist(), zip(*columns, strict=True), strict=True
            )
        ]

    def to_upbit(self) -> list[UpbitDict]:
        """The seed's Upbit-named dicts, built for all rows at once (no per-candle strftime).

        Fields and types are those ``Candle.to_upbit`` gives: the two zone-less time
        strings, prices as floats, ``timestamp`` as int, ``unit`` on minute candles, the
        change fields on day candles, ``first_day_of_period`` on weeks, months and years,
        and ``"filled": True`` on filled candles.
        """
        n = len(self)
        if n == 0:
            return []
        utc, kst = _utc_and_kst_strings(self.start_ms)
        market = self.market
        rows = zip(
            utc,
            kst,
            self.open.tolist(),
            self.high.tolist(),
            self.low.tolist(),
            self.close.tolist(),
            self.last_trade_ms.tolist(),
            self.value.tolist(),
            self.volume.tolist(),
            strict=True,
        )
        unit = self.timeframe.minute_unit
        # One dict display for every row (adding a key afterwards costs a third more);
        # only non-minute series, short ones, drop the unit again.
        out: list[UpbitDict] = [
            {
                "market": market,
                "candle_date_time_utc": u,
                "candle_date_time_kst": k,
                "opening_price": o,
                "high_price": h,
                "low_price": lo,
                "trade_price": c,
                "timestamp": ts,
                "candle_acc_trade_price": value,
                "candle_acc_trade_volume": volume,
                "unit": unit,
            }
            for u, k, o, h, lo, c, ts, value, volume in rows
        ]
        if unit is None:
            for item in out:
                del item["unit"]
        tf = self.timeframe
        if tf.code == "1d":
            for name in OPTIONAL_COLUMNS:
                column = getattr(self, name)
                present = ~np.isnan(column)
                for index, number in zip(np.flatnonzero(present).tolist(), column[present].tolist(), strict=True):
                    out[index][name] = number
        if tf.code in ("1w", "1M", "1y"):
            for item, day in zip(out, utc, strict=True):
                item["first_day_of_period"] = day[:10]
        for index in np.flatnonzero(self.filled).tolist():
            out[index]["filled"] = True
        return out

    def to_frame(self) -> pd.DataFrame:
        """A pandas DataFrame with Upbit's column names, indexed by the aware UTC start.

        Every column is one of the arrays (no per-row work): the two candle times are
        ``datetime64`` wall-clock times (UTC and KST) rather than strings, prices and
        volumes float64, ``timestamp`` int64, ``market`` a one-category column.
        """
        import pandas as pd

        n = len(self)
        index = pd.DatetimeIndex(self.start_ms.astype("datetime64[ms]"), name="time_utc").tz_localize("UTC")
        data: dict[str, Any] = {
            "market": pd.Categorical.from_codes(np.zeros(n, np.int8), categories=[self.market]),
            "candle_date_time_utc": self.start_ms.astype("datetime64[ms]"),
            "candle_date_time_kst": (self.start_ms + KST_OFFSET_MS).astype("datetime64[ms]"),
        }
        data.update((upbit_name, getattr(self, name)) for upbit_name, name in UPBIT_CANDLE_VALUES)
        tf = self.timeframe
        if tf.minute_unit is not None:
            data["unit"] = np.full(n, tf.minute_unit, np.int64)
        if tf.code == "1d":
            for name in OPTIONAL_COLUMNS:
                data[name] = getattr(self, name)
        if tf.code in ("1w", "1M", "1y"):
            data["first_day_of_period"] = [text[:10] for text in _naive_strings(self.start_ms)]
        if self.filled.any():
            data["filled"] = self.filled
        return pd.DataFrame(data, index=index, copy=False)

    def _check_same_series(self, other: CandleColumns) -> None:
        if other.market != self.market or other.timeframe != self.timeframe:
            raise InvalidInputError(
                "INVALID_CANDLES",
                "candles",
                f"cannot combine {other.market} {other.timeframe.code} candles "
                f"with {self.market} {self.timeframe.code} ones",
            )


# A candle's stored values, in the order storage writes them and ``to_candles`` unpacks them.
VALUE_FIELDS = (
    "open",
    "high",
    "low",
    "close",
    "volume",
    "value",
    "last_trade_ms",
    "prev_closing_price",
    "change_price",
    "change_rate",
)
_RECORD_FIELDS = (*VALUE_FIELDS, "filled")
assert set(_RECORD_FIELDS) | {"start_ms"} == set(COLUMN_DTYPES)
assert [f.name for f in fields(CandleColumns)][2:] == list(COLUMN_DTYPES)


def _utc_and_kst_strings(start_ms: IntArray) -> tuple[list[str], list[str]]:
    """Each start's zone-less UTC and KST text, sharing the strings the two have in common.

    Over a run of minute candles the KST text of one candle is the UTC text of the
    candle nine hours later, so all but nine hours of strings are written once.
    """
    utc = _naive_text(start_ms)
    kst_ms = start_ms + KST_OFFSET_MS
    later = np.searchsorted(start_ms, kst_ms)
    found = start_ms[np.minimum(later, start_ms.shape[0] - 1)] == kst_ms
    kst = np.empty(start_ms.shape[0], dtype=object)
    kst[found] = utc[later[found]]
    kst[~found] = _naive_text(kst_ms[~found])
    return utc.tolist(), kst.tolist()


def _naive_strings(start_ms: IntArray) -> list[str]:
    """``yyyy-MM-ddTHH:mm:ss`` for every instant, as a list."""
    return _naive_text(start_ms).tolist()  # type: ignore[no-any-return]


def _naive_text(start_ms: IntArray) -> NDArray[np.object_]:
    """``yyyy-MM-ddTHH:mm:ss`` for every instant at once.

    Candles of one series share few days and few times of day, so each distinct day
    and minute is written once and the strings are joined by index: five times faster
    than formatting every instant.
    """
    if not start_ms.shape[0]:
        return np.empty(0, dtype=object)
    seconds = start_ms // 1000
    days = seconds // 86_400
    first = int(days.min())
    day_span = np.arange(first, int(days.max()) + 1, dtype=np.int64).astype("datetime64[D]")
    day_text = np.asarray([f"{d}T" for d in day_span.tolist()], dtype=object)
    of_day = seconds - days * 86_400
    if not np.any(of_day % 60):  # every candle but a second's starts on a whole minute
        text = day_text[days - first] + _WHOLE_MINUTE_TEXT[of_day // 60]
    else:
        text = day_text[days - first] + _MINUTE_TEXT[of_day // 60] + _SECOND_TEXT[of_day % 60]
    return text  # type: ignore[no-any-return]


_MINUTE_TEXT = np.asarray([f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60)], dtype=object)
_SECOND_TEXT = np.asarray([f"{s:02d}" for s in range(60)], dtype=object)
_WHOLE_MINUTE_TEXT = _MINUTE_TEXT + "00"


def _ascending_last_of_each(starts: IntArray) -> IntArray:
    """Indices that put ``starts`` in ascending order, keeping only the last given of a repeated start."""
    order = np.argsort(starts, kind="stable")  # stable: repeats stay in the order given
    ordered = starts[order]
    keep = np.ones(order.shape[0], np.bool_)
    keep[:-1] = ordered[1:] != ordered[:-1]
    return order[keep]  # type: ignore[no-any-return]


def _nan_if_none(value: Any) -> Any:
    return np.nan if value is None else value


def _none_if_nan(value: float) -> float | None:
    return None if value != value else value
