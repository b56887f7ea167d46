"""Layer 1, the smart router: Upbit's REST API under its rate limits, live WebSocket
snapshots, and the choice between them.

Knows nothing of storage or the layers above; speaks only the domain vocabulary.
"""

from backbone.router.endpoints import (
    DEFAULT_FRESHNESS_S,
    DEFAULT_LIMITS_PER_S,
    ENDPOINTS,
    GROUPS,
    WS_CANDLE_KINDS,
    Endpoint,
)
from backbone.router.rate_window import RateBudget
from backbone.router.scheduler import ReserveLease, Scheduler, SchedulerPolicy, Ticket, Wait
from backbone.router.smart_router import CandlePage, RoutedAnswer, SmartRouter
from backbone.router.snapshots import StreamCloses, UpdateStream
from backbone.router.stats import RouterStats

__all__ = [
    "DEFAULT_FRESHNESS_S",
    "DEFAULT_LIMITS_PER_S",
    "ENDPOINTS",
    "GROUPS",
    "WS_CANDLE_KINDS",
    "CandlePage",
    "Endpoint",
    "RateBudget",
    "ReserveLease",
    "RoutedAnswer",
    "RouterStats",
    "Scheduler",
    "SchedulerPolicy",
    "SmartRouter",
    "StreamCloses",
    "Ticket",
    "UpdateStream",
    "Wait",
]
