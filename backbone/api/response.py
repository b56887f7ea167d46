"""What every backbone call returns: ``BackboneResponse`` with ``BackboneMetadata``.

Names and fields follow the original design; a few fields were added for
progress, deferral and error codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from backbone.domain.candle_columns import CandleColumns
from backbone.domain.priority import Priority
from backbone.storage.bulk import LARGE, collector_paused

if TYPE_CHECKING:
    import pandas as pd

PATH_CRITICAL = "critical"
PATH_STANDARD = "standard"
PATH_PROTECTED = "protected"

LAYER_API = "layer_4"
LAYER_COORDINATOR = "layer_3"
LAYER_STORAGE = "layer_2"
LAYER_ROUTER = "layer_1"


@dataclass(slots=True)
class BackboneMetadata:
    """How a request was served.

    ``path_taken`` is ``"critical"``, ``"standard"`` or ``"protected"``;
    ``source_layers`` lists the layers that did work (``"layer_1"`` ... ``"layer_3"``);
    ``cache_hit`` is True when nothing had to go to the exchange.
    """

    priority_used: Priority
    path_taken: str
    processing_time_ms: float
    data_count: int
    source_layers: list[str]
    cache_hit: bool
    error_code: str | None = None
    request_id: str | None = None
    deferred_ms: float = 0.0
    upstream_calls: int = 0
    channel: str | None = None  # "websocket" or "rest" on the critical path


class BackboneResponse:
    """The answer to one call. ``data`` holds Upbit-named dicts; candles ascend in time.

    Candle answers also carry ``candles``, the same candles as ``CandleColumns``
    (numpy columns, read-only): reading it costs nothing, and ``data`` is only built
    from it (all rows at once) the first time someone reads ``data``. Other answers
    have ``candles=None``.

    A failed call has ``success=False``, an empty ``data``, a message a trader
    understands in ``error`` and a stable code in ``metadata.error_code``.
    """

    __slots__ = ("_data", "candles", "error", "extra", "metadata", "success")

    def __init__(
        self,
        success: bool,
        data: list[dict[str, Any]] | None,
        metadata: BackboneMetadata,
        error: str | None = None,
        extra: dict[str, Any] | None = None,
        *,
        candles: CandleColumns | None = None,
    ) -> None:
        if data is None and candles is None:
            data = []
        self.success = success
        self._data = data
        self.metadata = metadata
        self.error = error
        self.extra: dict[str, Any] = {} if extra is None else extra
        self.candles = candles

    @property
    def data(self) -> list[dict[str, Any]]:
        """Upbit-named dicts (for candles: built from ``candles`` on first read, then kept)."""
        if self._data is None:
            assert self.candles is not None
            # 100,000 new dicts would set the cyclic collector off again and again, each
            # pass walking the whole heap; none of them can form a cycle.
            with collector_paused(len(self.candles) > LARGE):
                self._data = self.candles.to_upbit()
        return self._data

    @data.setter
    def data(self, value: list[dict[str, Any]]) -> None:
        self._data = value

    @property
    def error_code(self) -> str | None:
        """Shortcut for ``metadata.error_code``."""
        return self.metadata.error_code

    def to_frame(self) -> pd.DataFrame:
        """The data as a pandas DataFrame.

        Candles are indexed by their UTC start (aware, named ``time_utc``) with Upbit's
        column names, built straight from the columns; other kinds get a plain range
        index. Order books keep their units as a nested list column.
        """
        if self.candles is not None:
            return self.candles.to_frame()
        import pandas as pd

        frame = pd.DataFrame(self.data)
        if "candle_date_time_utc" in frame.columns:
            frame.index = pd.to_datetime(frame["candle_date_time_utc"]).dt.tz_localize("UTC")
            frame.index.name = "time_utc"
        return frame

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BackboneResponse):
            return NotImplemented
        return (self.success, self.data, self.metadata, self.error, self.extra) == (
            other.success,
            other.data,
            other.metadata,
            other.error,
            other.extra,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it replaces

    def __repr__(self) -> str:
        count = len(self.candles) if self.candles is not None else len(self.data)
        return (
            f"BackboneResponse(success={self.success}, data=<{count} items>, "
            f"metadata={self.metadata!r}, error={self.error!r})"
        )
