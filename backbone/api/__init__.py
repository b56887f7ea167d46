"""Layer 4, the backbone API: the single door to market data, routed by priority.

May call the coordinator (Layer 3) and, for the critical path, the router (Layer 1).
"""

from backbone.api.backbone import LIVE_REST_URL, LIVE_WS_URL, MarketDataBackbone
from backbone.api.load_guard import LoadSample, LoadThresholds
from backbone.api.metrics import Alert, LatencyStats, MetricsSnapshot
from backbone.api.progress import ProgressEvent
from backbone.api.response import BackboneMetadata, BackboneResponse
from backbone.api.subscriptions import Subscription
from backbone.router import ReserveLease

__all__ = [
    "LIVE_REST_URL",
    "LIVE_WS_URL",
    "Alert",
    "BackboneMetadata",
    "BackboneResponse",
    "LatencyStats",
    "LoadSample",
    "LoadThresholds",
    "MarketDataBackbone",
    "MetricsSnapshot",
    "ProgressEvent",
    "ReserveLease",
    "Subscription",
]
