"""What every backbone call returns: ``BackboneResponse`` with ``BackboneMetadata``.

Names and fields follow the original design; a few fields were added for
progress, deferral and error codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from backbone.domain.priority import Priority

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


@dataclass(slots=True)
class BackboneResponse:
    """The answer to one call. ``data`` holds Upbit-named dicts; candles ascend in time.

    A failed call has ``success=False``, an empty ``data``, a message a trader
    understands in ``error`` and a stable code in ``metadata.error_code``.
    """

    success: bool
    data: list[dict[str, Any]]
    metadata: BackboneMetadata
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def error_code(self) -> str | None:
        """Shortcut for ``metadata.error_code``."""
        return self.metadata.error_code

    def to_frame(self) -> pd.DataFrame:
        """The data as a pandas DataFrame.

        Candles are indexed by their UTC start (``candle_date_time_utc``, aware);
        other kinds get a plain range index. Order books keep their units as a
        nested list column.
        """
        import pandas as pd

        frame = pd.DataFrame(self.data)
        if "candle_date_time_utc" in frame.columns:
            frame.index = pd.to_datetime(frame["candle_date_time_utc"]).dt.tz_localize("UTC")
            frame.index.name = "time_utc"
        return frame
