"""Upbit's quotation endpoints, rate limit groups and WebSocket limits, declared once as data.

Everything the router knows about Upbit's limits lives here, so a change in
Upbit's policy is a change to this table and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

# Rate limit groups of the quotation API; each is counted separately by Upbit, per IP.
GROUPS: Final[tuple[str, ...]] = ("market", "candle", "ticker", "orderbook", "trade")

# Upbit's documented requests per second per group (quotation REST, per IP).
DEFAULT_LIMITS_PER_S: Final = MappingProxyType({group: 10.0 for group in GROUPS})


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One REST endpoint: its path under the base URL and the limit group it counts against."""

    name: str
    path: str
    group: str


ENDPOINTS: Final = MappingProxyType(
    {
        e.name: e
        for e in (
            Endpoint("market_all", "market/all", "market"),
            # The timeframe supplies the rest of the path (seconds, minutes/1, days, ...).
            Endpoint("candles", "candles", "candle"),
            Endpoint("ticker", "ticker", "ticker"),
            Endpoint("ticker_all", "ticker/all", "ticker"),
            Endpoint("orderbook", "orderbook", "orderbook"),
            Endpoint("orderbook_instruments", "orderbook/instruments", "orderbook"),
            Endpoint("trades_ticks", "trades/ticks", "trade"),
        )
    }
)

# Page and parameter bounds Upbit enforces: the largest candle page (200), trade page
# (500) and order book depth (30), and how many days back trades reach (``days_ago``).
MAX_CANDLE_COUNT: Final = 200
MAX_TRADE_COUNT: Final = 500
MAX_ORDERBOOK_COUNT: Final = 30
TRADE_DAYS_AGO: Final = range(1, 8)
MAX_TRADE_DAYS_AGO: Final = TRADE_DAYS_AGO[-1]

# Sliding-window width for the REST scheduler: Upbit's one second. A token stays spent until
# one window after its call's answer came back, and the server counted the call before that,
# so no margin for send-to-arrival delays is needed, whatever the load: 10 per (1 s + the
# round trip) sustained, about 9.7 calls/s at 30 ms.
RATE_WINDOW_S: Final = 1.0

# WebSocket limits: connections per second per IP, request messages per connection.
WS_CONNECTS_PER_S: Final = 5
WS_MESSAGES_PER_S: Final = 5
WS_MESSAGES_PER_MIN: Final = 100
WS_IDLE_CLOSE_S: Final = 120.0
WS_QUOTE_KINDS: Final[tuple[str, ...]] = ("ticker", "orderbook", "trade")
# Candle streams by timeframe code: Upbit streams seconds and minute candles only.
WS_CANDLE_KINDS: Final = MappingProxyType(
    {code: f"candle.{code}" for code in ("1s", "1m", "3m", "5m", "10m", "15m", "30m", "60m", "240m")}
)
WS_KINDS: Final[tuple[str, ...]] = (*WS_QUOTE_KINDS, *WS_CANDLE_KINDS.values())

# How old a WebSocket snapshot may be and still answer a request instead of REST.
DEFAULT_FRESHNESS_S: Final = MappingProxyType(
    {"ticker": 1.0, "orderbook": 0.5, "trade": 2.0} | dict.fromkeys(WS_CANDLE_KINDS.values(), 2.0)
)
