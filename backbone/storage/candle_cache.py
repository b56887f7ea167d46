"""Hot candle series in memory, as ``CandleColumns``, bounded by bytes.

Each entry holds one series' candles over one span known complete (coverage), so a
re-read inside that span is a slice of memory, not a database query. Only complete
spans are held because complete spans never change: another process sharing the
database can add candles only where coverage was missing, so an entry can never go
stale behind our back. Spans come from reads (one merge per read, never one per
written page, which would copy a growing series over and over during a backfill);
writes in this process update values inside a held span; deletes drop the market. The least recently used series goes first when the byte budget is spent.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from backbone.domain.candle_columns import CandleColumns
from backbone.domain.errors import InvalidInputError

DEFAULT_BUDGET_BYTES = 64 * 2**20  # about 800,000 candles: three months of 1m for six markets

SeriesKey = tuple[str, str]  # (market, timeframe code)


@dataclass(frozen=True, slots=True)
class HotSpan:
    """Every stored candle of a series with start in ``[start_ms, end_ms)``."""

    start_ms: int
    end_ms: int
    candles: CandleColumns

    def holds(self, start_ms: int, end_ms: int) -> bool:
        return self.start_ms <= start_ms and end_ms <= self.end_ms


class CandleCache:
    """One complete span per series, least recently used evicted past ``budget_bytes``."""

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        if isinstance(budget_bytes, bool) or not isinstance(budget_bytes, int) or budget_bytes < 0:
            raise InvalidInputError(
                "INVALID_CACHE_SIZE", "budget_bytes", f"budget_bytes must be a whole number >= 0, not {budget_bytes!r}"
            )
        self.budget_bytes = budget_bytes
        self._spans: OrderedDict[SeriesKey, HotSpan] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    @property
    def nbytes(self) -> int:
        """Bytes held now."""
        return self._bytes

    def holds(self, key: SeriesKey) -> bool:
        """True when some span of the series is held."""
        return key in self._spans

    def read(self, key: SeriesKey, start_ms: int, end_ms: int) -> CandleColumns | None:
        """The series' candles in ``[start_ms, end_ms)`` when a held span contains it, else None."""
        span = self._spans.get(key)
        if span is None or not span.holds(start_ms, end_ms):
            self.misses += 1
            return None
        self._spans.move_to_end(key)
        self.hits += 1
        return span.candles.between(start_ms, end_ms)

    def latest(self, key: SeriesKey, end_ms: int, count: int) -> CandleColumns | None:
        """The ``count`` newest candles before ``end_ms``, when the held span holds that many."""
        span = self._spans.get(key)
        if span is None or not span.start_ms <= end_ms <= span.end_ms:
            self.misses += 1
            return None
        before = span.candles.between(span.start_ms, end_ms)
        if len(before) < count:
            self.misses += 1
            return None
        self._spans.move_to_end(key)
        self.hits += 1
        return before.last(count)

    def offer(self, key: SeriesKey, start_ms: int, end_ms: int, candles: CandleColumns) -> None:
        """``candles`` are every stored candle in the complete span ``[start_ms, end_ms)``.

        A span that overlaps or touches the one held is joined to it (the newer candles
        win where both have a start); otherwise the larger span is kept.
        """
        if start_ms >= end_ms:
            return
        candles = candles.between(start_ms, end_ms)
        held = self._spans.get(key)
        if held is not None and start_ms <= held.end_ms and held.start_ms <= end_ms:
            joined = HotSpan(min(start_ms, held.start_ms), max(end_ms, held.end_ms), held.candles.merge(candles))
        elif held is not None and held.end_ms - held.start_ms > end_ms - start_ms:
            return
        else:
            joined = HotSpan(start_ms, end_ms, candles)
        self._put(key, joined)

    def written(self, key: SeriesKey, candles: CandleColumns) -> None:
        """Stored rows changed: take their new values where the held span has them."""
        held = self._spans.get(key)
        if held is None or not len(candles):
            return
        inside = candles.between(held.start_ms, held.end_ms)
        if len(inside):
            self._put(key, HotSpan(held.start_ms, held.end_ms, held.candles.merge(inside)))

    def drop_market(self, market: str) -> None:
        """Forget every series of ``market``."""
        for key in [k for k in self._spans if k[0] == market]:
            self._remove(key)

    def clear(self) -> None:
        """Forget everything."""
        self._spans.clear()
        self._bytes = 0

    def _put(self, key: SeriesKey, span: HotSpan) -> None:
        self._remove(key)
        size = span.candles.nbytes
        if size > self.budget_bytes:
            return
        self._spans[key] = span
        self._bytes += size
        while self._bytes > self.budget_bytes:
            self._remove(next(iter(self._spans)))

    def _remove(self, key: SeriesKey) -> None:
        span = self._spans.pop(key, None)
        if span is not None:
            self._bytes -= span.candles.nbytes
