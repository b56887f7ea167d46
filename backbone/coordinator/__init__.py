"""Layer 3, the coordinator: one request in, the smallest set of exchange calls out.

Candles are answered from storage after fetching only the missing pages (shared
between overlapping requests in flight); tickers and orderbooks from the memory
cache or a few batched calls; trades by cursor pagination. Uses the router and
storage below it; knows nothing of the API layer above.
"""

from backbone.coordinator.coordinator import Coordinator
from backbone.coordinator.requests import CandleRequest, CandleResult, Progress, QuoteResult

__all__ = [
    "CandleRequest",
    "CandleResult",
    "Coordinator",
    "Progress",
    "QuoteResult",
]
