"""Layer 1's entry object: REST calls under Upbit's limits, live WebSocket snapshots, and the
choice between them.

:class:`SmartRouter` owns one REST channel (shared aiohttp session, per-group
rate limiter) and one WebSocket channel. ``fetch_*`` always go to REST;
:meth:`SmartRouter.request` answers from a WebSocket snapshot when every asked
market has one fresh enough, and from REST otherwise. Nothing here knows about
storage or the layers above.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from backbone.domain.candle_columns import CandleColumns
from backbone.domain.clock import format_to_param, ms_to_utc
from backbone.domain.errors import ConnectionLostError, InvalidInputError
from backbone.domain.models import Candle, Market, Orderbook, Ticker, Trade
from backbone.domain.priority import Priority
from backbone.domain.timeframes import Timeframe, parse_timeframe
from backbone.domain.vocabulary import BAD_MARKET
from backbone.router import validation as check
from backbone.router.batching import QuoteBatcher, SharedCalls
from backbone.router.endpoints import (
    DEFAULT_FRESHNESS_S,
    ENDPOINTS,
    GROUPS,
    MAX_CANDLE_COUNT,
    MAX_ORDERBOOK_COUNT,
    MAX_TRADE_COUNT,
    TRADE_DAYS_AGO,
    WS_CANDLE_KINDS,
    WS_KINDS,
)
from backbone.router.rate_window import RateBudget
from backbone.router.rest_channel import RestChannel
from backbone.router.scheduler import (
    Admission,
    ReserveLease,
    Scheduler,
    SchedulerPolicy,
    Ticket,
    WaitListener,
)
from backbone.router.snapshots import (
    DEFAULT_TRADE_RING,
    SnapshotStore,
    StreamCloses,
    StreamValue,
    UpdateStream,
)
from backbone.router.stats import RouterStats, StatsRecorder
from backbone.router.websocket_channel import WebSocketChannel


@dataclass(frozen=True, slots=True)
class RoutedAnswer:
    """What :meth:`SmartRouter.request` returns: the data and how it was obtained.

    ``snapshot_age_ms`` is, for WebSocket answers, how long ago the oldest
    snapshot was last known current (its arrival, or later traffic on the same
    live connection); None for REST. ``upstream_calls`` counts REST calls made.
    """

    data: list[Any]
    channel: str  # "websocket" | "rest"
    elapsed_ms: float
    snapshot_age_ms: float | None
    upstream_calls: int


@dataclass(frozen=True, slots=True)
class CandlePage:
    """One page of candles as columns, ascending by start, and the exchange's clock when it answered.

    ``server_time`` is the answer's ``Date`` header (whole seconds, so never later
    than the exchange's true time); None when the answer carried none.
    """

    candles: CandleColumns
    server_time: datetime | None = None

    def __len__(self) -> int:
        return len(self.candles)

    @property
    def exchange_time(self) -> datetime | None:
        """A time the exchange had certainly reached: its ``Date``, else the newest trade in the page."""
        if self.server_time is not None:
            return self.server_time
        if not len(self.candles):
            return None
        return ms_to_utc(int(self.candles.last_trade_ms.max()))


class SmartRouter:
    """Channels to Upbit (live or simulated): rate-limited REST plus live WebSocket snapshots."""

    def __init__(
        self,
        rest_url: str,
        ws_url: str,
        *,
        rate_limits: Mapping[str, float] | None = None,
        critical_reserve: int | None = None,
        scheduling: SchedulerPolicy | None = None,
        admission: Admission | None = None,
        request_timeout_s: float = 10.0,
        freshness_s: Mapping[str, float] | None = None,
        trade_ring: int = DEFAULT_TRADE_RING,
        ws_heartbeat_s: float = 30.0,
    ) -> None:
        self.rest_url = rest_url
        self.ws_url = ws_url
        self._stats = StatsRecorder()
        policy = scheduling or SchedulerPolicy()
        if critical_reserve is not None:
            policy = dataclasses.replace(policy, critical_reserve=critical_reserve)
        self.scheduler = Scheduler(rate_limits, policy, admission=admission)
        self._rest = RestChannel(
            rest_url, self.scheduler, self._stats, request_timeout_s=request_timeout_s
        )
        self._store = SnapshotStore(trade_ring)
        self._ws = WebSocketChannel(
            ws_url, lambda: self._rest.session, self._store, self._stats, heartbeat_s=ws_heartbeat_s
        )
        self._freshness = dict(DEFAULT_FRESHNESS_S)
        for kind, seconds in (freshness_s or {}).items():
            self._freshness[check.stream_kind(kind)] = float(seconds)
        self._trade_ring = trade_ring
        self._ticker_batches: QuoteBatcher[Ticker] = QuoteBatcher(self._tickers_for, self.scheduler)
        self._orderbook_batches: QuoteBatcher[Orderbook] = QuoteBatcher(
            self._orderbooks_for, self.scheduler
        )
        self._trade_calls: SharedCalls[list[Trade]] = SharedCalls()
        self._kept_for_critical: set[tuple[str, str]] = set()
        self._started = False

    # -- lifecycle ------------------------------------------------------------

    async def start(self) -> None:
        """Open the HTTP session; the WebSocket connects when something is first subscribed."""
        if self._started:
            return
        await self._rest.start()
        self._started = True
        self._ws.ensure_running()

    async def stop(self) -> None:
        """Close the WebSocket, end every update stream and close the session (idempotent)."""
        if not self._started:
            return
        self._started = False
        await self._ws.stop()
        self._store.close_listeners()
        self._ticker_batches.close()
        self._orderbook_batches.close()
        self._trade_calls.close()
        self.scheduler.close()
        await self._rest.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- REST -----------------------------------------------------------------

    async def fetch_markets(
        self, *, details: bool = False, priority: Priority = Priority.NORMAL
    ) -> list[Market]:
        """Every listed market (``/market/all``), with warning/caution flags when ``details``."""
        return await self._rest.get(
            ENDPOINTS["market_all"],
            {"is_details": bool(details)},
            lambda raw: [Market.from_upbit(m) for m in raw],
            priority=Priority.parse(priority),
        )

    async def fetch_candles(
        self,
        market: str,
        timeframe: Timeframe | str,
        *,
        count: int = MAX_CANDLE_COUNT,
        to: datetime | None = None,
        priority: Priority = Priority.NORMAL,
        ticket: Ticket | None = None,
    ) -> CandlePage:
        """One page of candles ending before ``to`` (exclusive), as columns ascending by start,
        with the exchange's time of the answer (``CandlePage.server_time``).

        Upbit's rows are read straight into columns and checked once
        (``CandleColumns.from_upbit``): a row of another market, off the timeframe's
        boundaries or with a price that is not a finite number makes the answer
        unreadable, so the call is retried like a 5xx and never stored.

        ``ticket`` (from :meth:`ticket`) keeps the caller's place in the scheduler's
        order; its priority, not ``priority``, then decides.
        """
        code = check.market_code(market)
        tf = parse_timeframe(timeframe)
        params: dict[str, Any] = {
            "market": code,
            "count": check.count_in(count, 1, MAX_CANDLE_COUNT),
        }
        if to is not None:
            params["to"] = format_to_param(check.aware_time(to, "to"))
        server_time: datetime | None = None

        def stamp(when: datetime | None) -> None:
            nonlocal server_time
            server_time = when

        candles = await self._rest.get(
            ENDPOINTS["candles"],
            params,
            lambda raw: CandleColumns.from_upbit(code, tf, raw),
            priority=Priority.parse(priority),
            ticket=ticket,
            path_suffix=f"/{tf.path}",
            on_server_time=stamp,
        )
        return CandlePage(candles, server_time)

    async def fetch_tickers(
        self, markets: Sequence[str], *, priority: Priority = Priority.NORMAL
    ) -> list[Ticker]:
        """Tickers of the given markets in one call."""
        codes = check.market_codes(markets)
        return await self._rest.get(
            ENDPOINTS["ticker"],
            {"markets": ",".join(codes)},
            lambda raw: [Ticker.from_upbit(t) for t in raw],
            priority=Priority.parse(priority),
        )

    async def fetch_all_tickers(
        self, quote_currencies: Sequence[str], *, priority: Priority = Priority.NORMAL
    ) -> list[Ticker]:
        """Every market's ticker for the given quote currencies (``KRW``, ``BTC``, ``USDT``)."""
        if isinstance(quote_currencies, str):
            quote_currencies = quote_currencies.split(",")
        quotes = [q.strip().upper() for q in quote_currencies if q.strip()]
        if not quotes or not all(q.isalnum() for q in quotes):
            raise InvalidInputError(
                BAD_MARKET,
                "quote_currencies",
                f"quote_currencies must list currencies like 'KRW', got {quote_currencies!r}",
            )
        return await self._rest.get(
            ENDPOINTS["ticker_all"],
            {"quote_currencies": ",".join(quotes)},
            lambda raw: [Ticker.from_upbit(t) for t in raw],
            priority=Priority.parse(priority),
        )

    async def fetch_orderbooks(
        self,
        markets: Sequence[str],
        *,
        level: float | None = None,
        count: int | None = None,
        priority: Priority = Priority.NORMAL,
    ) -> list[Orderbook]:
        """Order books of the given markets in one call (``level`` groups KRW prices)."""
        codes = check.market_codes(markets)
        params: dict[str, Any] = {"markets": ",".join(codes)}
        if level is not None:
            if isinstance(level, bool) or not isinstance(level, int | float) or level < 0:
                raise InvalidInputError(
                    "INVALID_LEVEL", "level", f"level must be a number >= 0, got {level!r}"
                )
            params["level"] = str(int(level)) if float(level).is_integer() else repr(float(level))
        if count is not None:
            params["count"] = check.count_in(count, 1, MAX_ORDERBOOK_COUNT)
        return await self._rest.get(
            ENDPOINTS["orderbook"],
            params,
            lambda raw: [Orderbook.from_upbit(o) for o in raw],
            priority=Priority.parse(priority),
        )

    async def fetch_trades(
        self,
        market: str,
        *,
        count: int = MAX_TRADE_COUNT,
        to: str | None = None,
        cursor: int | None = None,
        days_ago: int | None = None,
        priority: Priority = Priority.NORMAL,
    ) -> list[Trade]:
        """Recent trades of one market, newest first as Upbit sends them."""
        params: dict[str, Any] = {
            "market": check.market_code(market),
            "count": check.count_in(count, 1, MAX_TRADE_COUNT),
        }
        if to is not None:
            params["to"] = check.time_of_day(to)
        if cursor is not None:
            if isinstance(cursor, bool) or not isinstance(cursor, int) or cursor < 0:
                raise InvalidInputError(
                    "INVALID_CURSOR",
                    "cursor",
                    f"cursor must be a sequential_id (int >= 0), got {cursor!r}",
                )
            params["cursor"] = cursor
        if days_ago is not None:
            params["days_ago"] = check.count_in(
                days_ago, TRADE_DAYS_AGO.start, TRADE_DAYS_AGO.stop - 1, "days_ago"
            )
        chosen = Priority.parse(priority)
        key = tuple(sorted(params.items()))

        async def call() -> list[Trade]:
            return await self._rest.get(
                ENDPOINTS["trades_ticks"],
                params,
                lambda raw: [Trade.from_upbit(t) for t in raw],
                priority=chosen,
            )

        # Identical requests in flight (the same page of the same market) share one call.
        return list(await self._trade_calls.call(key, call))

    # -- routing --------------------------------------------------------------

    async def request(
        self, kind: str, markets: Sequence[str], *, priority: Priority = Priority.NORMAL
    ) -> RoutedAnswer:
        """Tickers, orderbooks or recent trades from the fastest source that is fresh enough.

        WebSocket when every market has a snapshot from the live connection
        within the kind's freshness budget; REST otherwise. A CRITICAL request
        for a market not yet streamed also subscribes it for next time.
        Trades over WebSocket are those seen since subscribing, newest first.
        """
        kind = check.quote_kind(kind)
        codes = check.market_codes(markets)
        priority = Priority.parse(priority)
        started = time.perf_counter()
        answer = self._from_snapshots(kind, codes)
        if answer is not None:
            data, age_s = answer
            return RoutedAnswer(data, "websocket", _ms_since(started), age_s * 1000.0, 0)
        if priority is Priority.CRITICAL:
            self._keep_streaming(kind, codes)
        data, calls = await self._from_rest(kind, codes, priority)
        return RoutedAnswer(data, "rest", _ms_since(started), None, calls)

    def _from_snapshots(self, kind: str, codes: list[str]) -> tuple[list[Any], float] | None:
        budget = self._freshness[kind]
        now = time.monotonic()
        snapshots = []
        for code in codes:
            snapshot = self._store.fresh(kind, code, budget, now)
            if snapshot is None:
                return None
            snapshots.append(snapshot)
        age_s = max(self._store.age(s, now) or 0.0 for s in snapshots)
        if kind == "trade":
            return [t for code in codes for t in self._store.recent_trades(code)], age_s
        return [s.value for s in snapshots], age_s

    async def _from_rest(
        self, kind: str, codes: list[str], priority: Priority
    ) -> tuple[list[Any], int]:
        # Requests arriving together share calls: many markets per ticker or orderbook call.
        if kind == "ticker":
            tickers, calls = await self._ticker_batches.get(codes, priority)
            return _in_order(tickers, codes), calls
        if kind == "orderbook":
            books, calls = await self._orderbook_batches.get(codes, priority)
            return _in_order(books, codes), calls
        count = min(self._trade_ring, MAX_TRADE_COUNT)
        pages = await asyncio.gather(
            *(self.fetch_trades(c, count=count, priority=priority) for c in codes)
        )
        return [t for page in pages for t in page], len(codes)

    async def _tickers_for(self, codes: list[str], ticket: Ticket) -> list[Ticker]:
        return await self._rest.get(
            ENDPOINTS["ticker"],
            {"markets": ",".join(codes)},
            lambda raw: [Ticker.from_upbit(t) for t in raw],
            ticket=ticket,
        )

    async def _orderbooks_for(self, codes: list[str], ticket: Ticket) -> list[Orderbook]:
        return await self._rest.get(
            ENDPOINTS["orderbook"],
            {"markets": ",".join(codes)},
            lambda raw: [Orderbook.from_upbit(o) for o in raw],
            ticket=ticket,
        )

    def _keep_streaming(self, kind: str, codes: list[str]) -> None:
        """Subscribe what a live bot asked for, once, and keep it while the router runs."""
        new = [c for c in codes if (kind, c) not in self._kept_for_critical]
        if new and self._started:
            self._kept_for_critical.update((kind, c) for c in new)
            self._ws.add(kind, new)

    # -- WebSocket ------------------------------------------------------------

    def live_candle(self, market: str, timeframe: Timeframe) -> Candle | None:
        """The newest candle of a subscribed candle stream, if the live connection confirms it.

        Confirmed means no message for this stream can be missing: it came on the live
        connection, and that connection carried it or later traffic within the kind's
        freshness budget, so a newer trade would have produced a newer message by now.
        None when the timeframe has no stream, nobody streams it, or it is not fresh.
        """
        kind = WS_CANDLE_KINDS.get(timeframe.code)
        if kind is None or not self._ws.is_subscribed(kind, market):
            return None
        fresh = self._store.fresh(kind, market, self._freshness[kind], time.monotonic())
        if fresh is None or not isinstance(fresh.value, Candle):
            return None
        return fresh.value

    def stream_closes(self, market: str, timeframe: Timeframe) -> StreamCloses | None:
        """The slots a subscribed candle stream proves closed, with their final candles.

        Proven as strictly as a REST answer's ``Date`` would (see
        :meth:`SnapshotStore.closes`); None when the timeframe has no stream, nobody
        streams it, or nothing is proven (after a reconnect, REST decides again).
        """
        kind = WS_CANDLE_KINDS.get(timeframe.code)
        if kind is None or not self._ws.is_subscribed(kind, market):
            return None
        return self._store.closes(kind, market)

    async def subscribe(self, kind: str, markets: Sequence[str]) -> None:
        """Stream ``kind`` for ``markets`` (reference counted; pair with :meth:`unsubscribe`)."""
        kind = check.stream_kind(kind)
        codes = check.market_codes(markets)
        if not self._started:
            raise ConnectionLostError("the router is not started; call await router.start() first")
        self._ws.add(kind, codes)

    async def unsubscribe(self, kind: str, markets: Sequence[str]) -> None:
        """Release streams taken by :meth:`subscribe`; the last release unsubscribes upstream."""
        self._ws.remove(check.stream_kind(kind), check.market_codes(markets))

    def updates(self, kind: str, markets: Sequence[str]) -> UpdateStream:
        """An async context manager and iterator of live updates for ``markets``."""
        return UpdateStream(
            self._store,
            check.stream_kind(kind),
            check.market_codes(markets),
            self.subscribe,
            self.unsubscribe,
        )

    def subscriptions(self) -> dict[str, list[str]]:
        """The complete set of streams currently wanted, per kind."""
        return self._ws.subscriptions()

    def snapshot(self, kind: str, market: str) -> StreamValue | None:
        """The latest value received for a stream if it is fresh, else None."""
        fresh = self._store.fresh(
            check.stream_kind(kind),
            check.market_code(market),
            self._freshness[kind],
            time.monotonic(),
        )
        return None if fresh is None else fresh.value

    @property
    def ws_last_error(self) -> Mapping[str, Any] | None:
        """The last ``{"name", "message"}`` error the exchange sent on the WebSocket, if any."""
        return self._ws.last_error

    @property
    def ws_state(self) -> str:
        """``disconnected``, ``connecting`` or ``connected``."""
        return self._ws.state

    # -- scheduling -----------------------------------------------------------

    def ticket(self, priority: Priority, on_wait: WaitListener | None = None) -> Ticket:
        """A place in the scheduler's order for work that may make several calls.

        ``on_wait(seconds, reason)`` hears how long the work waited and why.
        """
        return self.scheduler.ticket(priority, on_wait)

    def raise_priority(self, ticket: Ticket, priority: Priority) -> bool:
        """Make waiting work more urgent in place (nothing is cancelled)."""
        return self.scheduler.raise_priority(ticket, Priority.parse(priority))

    def hold_critical_reserve(self) -> ReserveLease:
        """Keep the CRITICAL reserve free from bulk work while a live bot runs."""
        return self.scheduler.hold_reserve()

    # -- budget and stats -----------------------------------------------------

    def rate_budget(self) -> dict[str, RateBudget]:
        """Tokens available now per group, and the reserve held back for CRITICAL."""
        return self.scheduler.budgets()

    def has_headroom(self, group: str) -> bool:
        """True while the group has tokens beyond the CRITICAL reserve right now."""
        if group not in GROUPS:
            raise InvalidInputError(
                "INVALID_GROUP", "group", f"group {group!r} is not one of: {', '.join(GROUPS)}"
            )
        budget = self.scheduler.budgets()[group]
        return budget.available > budget.reserve

    def stats(self) -> RouterStats:
        """A frozen copy of the router's counters."""
        self._stats.ws_dropped_updates = self._store.dropped_updates
        return self._stats.snapshot()

    @property
    def freshness_s(self) -> dict[str, float]:
        """The freshness budget per kind, in seconds."""
        return dict(self._freshness)

    @property
    def stream_kinds(self) -> tuple[str, ...]:
        return WS_KINDS


def _in_order(values: list[Any], codes: list[str]) -> list[Any]:
    """``values`` in the order their markets were asked (Upbit's answer order is its own)."""
    by_market = {value.market: value for value in values}
    return [by_market[code] for code in codes if code in by_market]


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
