"""The market data backbone: one async library for Upbit candles, tickers, order books and trades.

    from backbone import MarketDataBackbone, Priority

    async with MarketDataBackbone() as bb:
        r = await bb.get_candle_data("KRW-BTC", "1m", count=1000, priority=Priority.NORMAL)

Importing this package never imports Qt. Names are resolved lazily so that a
subpackage (the simulator, say) can be used without loading the whole engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "LIVE_REST_URL": "backbone.api",
    "LIVE_WS_URL": "backbone.api",
    "Alert": "backbone.api",
    "BackboneMetadata": "backbone.api",
    "BackboneResponse": "backbone.api",
    "LatencyStats": "backbone.api",
    "LoadSample": "backbone.api",
    "LoadThresholds": "backbone.api",
    "MarketDataBackbone": "backbone.api",
    "MetricsSnapshot": "backbone.api",
    "ProgressEvent": "backbone.api",
    "ReserveLease": "backbone.api",
    "Subscription": "backbone.api",
    "BackboneError": "backbone.domain.errors",
    "CandleColumns": "backbone.domain.candle_columns",
    "InvalidInputError": "backbone.domain.errors",
    "Priority": "backbone.domain.priority",
    "TIMEFRAMES": "backbone.domain.timeframes",
}

__all__ = [
    "LIVE_REST_URL",
    "LIVE_WS_URL",
    "TIMEFRAMES",
    "Alert",
    "BackboneError",
    "BackboneMetadata",
    "BackboneResponse",
    "CandleColumns",
    "InvalidInputError",
    "LatencyStats",
    "LoadSample",
    "LoadThresholds",
    "MarketDataBackbone",
    "MetricsSnapshot",
    "Priority",
    "ProgressEvent",
    "ReserveLease",
    "Subscription",
]

if TYPE_CHECKING:
    from backbone.api import (
        LIVE_REST_URL,
        LIVE_WS_URL,
        Alert,
        BackboneMetadata,
        BackboneResponse,
        LatencyStats,
        LoadSample,
        LoadThresholds,
        MarketDataBackbone,
        MetricsSnapshot,
        ProgressEvent,
        ReserveLease,
        Subscription,
    )
    from backbone.domain.candle_columns import CandleColumns
    from backbone.domain.errors import BackboneError, InvalidInputError
    from backbone.domain.priority import Priority
    from backbone.domain.timeframes import TIMEFRAMES


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'backbone' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
