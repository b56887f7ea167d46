"""REST handlers for Upbit's quotation endpoints: parameters, validation and answers.

Each handler returns the JSON-ready answer or raises ``UpbitError``; the server's
middleware adds rate limits, latency, faults and the ``Remaining-Req`` header.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from backbone.sim.candles import MINUTE_UNITS, CandleBook
from backbone.sim.markets import Catalogue, SimMarket
from backbone.sim.quotes import ORDERBOOK_UNITS, QuoteDesk
from backbone.sim.timefmt import DAY_MS, now_ms, parse_time_of_day, parse_to

INVALID = "Invalid parameter. Check the given value!"
CANDLE_MAX = 200
TRADES_MAX = 500
Handler = Callable[[web.Request], Awaitable[Any]]

# Upbit's rate-limit group of every REST path.
GROUP_OF_PATH: dict[str, str] = {
    "/v1/market/all": "market",
    "/v1/ticker": "ticker",
    "/v1/ticker/all": "ticker",
    "/v1/orderbook": "orderbook",
    "/v1/orderbook/instruments": "orderbook",
    "/v1/orderbook/supported_levels": "orderbook",
    "/v1/trades/ticks": "trade",
}


def group_of(path: str) -> str | None:
    """The rate-limit group of a REST path, or None when it is not an endpoint."""
    if path.startswith("/v1/candles/"):
        return "candle"
    return GROUP_OF_PATH.get(path.rstrip("/") or path)


class UpbitError(Exception):
    """An error answer in Upbit's shape: ``{"error": {"name": ..., "message": ...}}``."""

    def __init__(self, status: int, message: str, name: str | int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.name: str | int = status if name is None else name
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"error": {"name": self.name, "message": self.message}}


def invalid(field: str, allowed: str) -> UpbitError:
    """400 naming the parameter and what it accepts."""
    return UpbitError(400, f"{INVALID} ({field}: {allowed})")


class RestApi:
    """The endpoints, bound to one catalogue, candle book and quote desk."""

    def __init__(
        self,
        catalogue: Catalogue,
        candles: CandleBook,
        quotes: QuoteDesk,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.catalogue = catalogue
        self.candles = candles
        self.quotes = quotes
        self.clock = clock

    def routes(self) -> list[tuple[str, Handler]]:
        """(path, handler) pairs under /v1."""
        return [
            ("/v1/market/all", self.market_all),
            ("/v1/candles/seconds", self.candles_seconds),
            ("/v1/candles/minutes/{unit}", self.candles_minutes),
            ("/v1/candles/days", self.candles_days),
            ("/v1/candles/weeks", self.candles_weeks),
            ("/v1/candles/months", self.candles_months),
            ("/v1/candles/years", self.candles_years),
            ("/v1/ticker", self.ticker),
            ("/v1/ticker/all", self.ticker_all),
            ("/v1/orderbook", self.orderbook),
            ("/v1/orderbook/instruments", self.orderbook_instruments),
            ("/v1/orderbook/supported_levels", self.orderbook_supported_levels),
            ("/v1/trades/ticks", self.trades_ticks),
        ]

    # ---- parameter helpers -------------------------------------------------------

    def _market(self, request: web.Request, field: str = "market") -> SimMarket:
        code = request.query.get(field)
        if code is None or not code.strip():
            raise invalid(field, "required, e.g. KRW-BTC")
        market = self.catalogue.get(code.strip())
        if market is None:
            raise UpbitError(404, "Code not found")
        return market

    @staticmethod
    def _joined(request: web.Request, field: str) -> str | None:
        # Upbit accepts a list either comma-separated or as repeated parameters.
        values = request.query.getall(field, [])
        return ",".join(values) if values else None

    def _markets(self, request: web.Request) -> list[SimMarket]:
        text = self._joined(request, "markets")
        if text is None or not text.strip():
            raise invalid("markets", "required, comma-separated codes such as KRW-BTC,KRW-ETH")
        found: list[SimMarket] = []
        for code in (part.strip() for part in text.split(",")):
            market = self.catalogue.get(code)
            if market is None:
                raise UpbitError(404, "Code not found")
            if market not in found:
                found.append(market)
        return found

    @staticmethod
    def _int(
        request: web.Request, field: str, default: int | None, low: int, high: int
    ) -> int | None:
        text = request.query.get(field)
        if text is None or text == "":
            return default
        try:
            value = int(text)
        except ValueError:
            raise invalid(field, f"an integer from {low} to {high}") from None
        if not low <= value <= high:
            raise invalid(field, f"an integer from {low} to {high}")
        return value

    def _to(self, request: web.Request, now: int) -> int:
        text = request.query.get("to")
        if text is None or text == "":
            return now + 1
        try:
            return parse_to(text)
        except ValueError:
            raise invalid(
                "to", "yyyy-MM-ddTHH:mm:ssZ, 'yyyy-MM-dd HH:mm:ss' (UTC) or with +09:00"
            ) from None

    def _candle_args(self, request: web.Request) -> tuple[SimMarket, int, int, int]:
        market = self._market(request)
        count = self._int(request, "count", 1, 1, CANDLE_MAX)
        now = self.clock()
        to_ms = self._to(request, now)
        assert count is not None
        return market, to_ms, count, now

    # ---- market ----------------------------------------------------------------------

    async def market_all(self, request: web.Request) -> list[dict[str, Any]]:
        text = request.query.get("is_details", request.query.get("isDetails", "false"))
        if text.lower() not in ("true", "false"):
            raise invalid("is_details", "true or false")
        details = text.lower() == "true"
        out: list[dict[str, Any]] = []
        for m in self.catalogue.markets:
            record: dict[str, Any] = {
                "market": m.code,
                "korean_name": m.korean_name,
                "english_name": m.english_name,
            }
            if details:
                record["market_event"] = {"warning": m.warning, "caution": dict(m.caution)}
            out.append(record)
        return out

    # ---- candles -------------------------------------------------------------------

    async def candles_seconds(self, request: web.Request) -> list[dict[str, Any]]:
        market, to_ms, count, now = self._candle_args(request)
        return self.candles.seconds(market, to_ms, count, now)

    async def candles_minutes(self, request: web.Request) -> list[dict[str, Any]]:
        text = request.match_info["unit"]
        if not text.isdigit() or int(text) not in MINUTE_UNITS:
            raise invalid("unit", "one of " + ", ".join(str(u) for u in MINUTE_UNITS))
        market, to_ms, count, now = self._candle_args(request)
        return self.candles.minutes(market, int(text), to_ms, count, now)

    async def candles_days(self, request: web.Request) -> list[dict[str, Any]]:
        market, to_ms, count, now = self._candle_args(request)
        unit = request.query.get("converting_price_unit")
        rate: float | None = None
        if unit is not None and unit != "":
            if unit != "KRW":
                raise invalid("converting_price_unit", "KRW")
            rate = self._krw_rate(market.quote, now)
        # Long spans generate many days of minutes the first time: keep the loop free.
        return await asyncio.to_thread(self.candles.days, market, to_ms, count, now, rate)

    def _krw_rate(self, quote: str, now: int) -> float:
        if quote == "KRW":
            return 1.0
        bridge = self.catalogue.get(f"KRW-{quote}")
        if bridge is None:
            return 1.0
        return self.quotes.ticker(bridge, now)["trade_price"]

    async def candles_weeks(self, request: web.Request) -> list[dict[str, Any]]:
        market, to_ms, count, now = self._candle_args(request)
        return await asyncio.to_thread(self.candles.calendar, market, "weeks", to_ms, count, now)

    async def candles_months(self, request: web.Request) -> list[dict[str, Any]]:
        market, to_ms, count, now = self._candle_args(request)
        return await asyncio.to_thread(self.candles.calendar, market, "months", to_ms, count, now)

    async def candles_years(self, request: web.Request) -> list[dict[str, Any]]:
        market, to_ms, count, now = self._candle_args(request)
        return await asyncio.to_thread(self.candles.calendar, market, "years", to_ms, count, now)

    # ---- ticker ----------------------------------------------------------------------

    async def ticker(self, request: web.Request) -> list[dict[str, Any]]:
        markets = self._markets(request)
        now = self.clock()
        return [self.quotes.ticker(m, now) for m in markets]

    async def ticker_all(self, request: web.Request) -> list[dict[str, Any]]:
        text = self._joined(request, "quote_currencies")
        if text is None or not text.strip():
            raise invalid("quote_currencies", "required, e.g. KRW or KRW,BTC,USDT")
        quotes = [q.strip() for q in text.split(",") if q.strip()]
        for quote in quotes:
            if quote not in ("KRW", "BTC", "USDT"):
                raise invalid("quote_currencies", "KRW, BTC or USDT")
        now = self.clock()
        return [self.quotes.ticker(m, now) for m in self.catalogue.markets if m.quote in quotes]

    # ---- order book ------------------------------------------------------------------

    async def orderbook(self, request: web.Request) -> list[dict[str, Any]]:
        markets = self._markets(request)
        count = self._int(request, "count", ORDERBOOK_UNITS, 1, ORDERBOOK_UNITS)
        assert count is not None
        text = request.query.get("level")
        level = 0.0
        if text not in (None, ""):
            try:
                level = float(text)
            except ValueError:
                raise invalid(
                    "level", "a number from /v1/orderbook/instruments supported_levels"
                ) from None
        now = self.clock()
        out: list[dict[str, Any]] = []
        for m in markets:
            if level and not any(
                abs(level - x) < 1e-12 for x in self.quotes.supported_levels(m, now)
            ):
                continue  # Upbit leaves out markets that do not support the level
            out.append(self.quotes.orderbook(m, now, count=count, level=level))
        return out

    async def orderbook_instruments(self, request: web.Request) -> list[dict[str, Any]]:
        markets = self._markets(request)
        now = self.clock()
        return [self.quotes.instrument(m, now) for m in markets]

    async def orderbook_supported_levels(self, request: web.Request) -> list[dict[str, Any]]:
        markets = self._markets(request)
        now = self.clock()
        return [
            {"market": m.code, "supported_levels": self.quotes.supported_levels(m, now)}
            for m in markets
        ]

    # ---- trades --------------------------------------------------------------------

    async def trades_ticks(self, request: web.Request) -> list[dict[str, Any]]:
        market = self._market(request)
        count = self._int(request, "count", 1, 1, TRADES_MAX)
        days_ago = self._int(request, "days_ago", None, 1, 7)
        if days_ago is None:
            days_ago = self._int(request, "daysAgo", None, 1, 7)
        cursor_text = request.query.get("cursor")
        cursor: int | None = None
        if cursor_text not in (None, ""):
            try:
                cursor = int(cursor_text)
            except ValueError:
                raise invalid("cursor", "a sequential_id from an earlier answer") from None
        now = self.clock()
        to_text = request.query.get("to")
        if days_ago is not None:
            day = now // DAY_MS - days_ago
        elif to_text:
            day = now // DAY_MS
        else:
            day = self.quotes.latest_trade_day(market, now)
        end = (day + 1) * DAY_MS
        if to_text:
            try:
                end = day * DAY_MS + parse_time_of_day(to_text)
            except ValueError:
                raise invalid("to", "HHmmss or HH:mm:ss") from None
        assert count is not None
        return self.quotes.trades(market, day, end, count, now, cursor=cursor)
