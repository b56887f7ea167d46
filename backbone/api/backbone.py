"""``MarketDataBackbone``: the one door every panel and script uses for market data.

Each call carries a priority that picks its path: CRITICAL goes straight to
Layer 1, HIGH and NORMAL through the coordinator (Layer 3), LOW through the
coordinator behind the load guard. Nothing raises into the caller for a data
problem: every failure is a ``BackboneResponse`` with ``success=False`` and a
stable ``error_code``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from types import TracebackType
from typing import Any

import psutil

from backbone.api import critical_path
from backbone.api.inputs import (
    TimeInput,
    check_count,
    check_priority,
    check_range,
    check_symbol,
    check_symbols,
    check_time,
    check_timeframe,
)
from backbone.api.load_guard import LoadGuard, LoadSample, LoadThresholds, psutil_sampler
from backbone.api.markets import MarketCatalogue
from backbone.api.metrics import Alert, MetricsCollector, MetricsSnapshot
from backbone.api.progress import ProgressCallback, ProgressEvent, ProgressTracker
from backbone.api.response import (
    LAYER_COORDINATOR,
    LAYER_ROUTER,
    LAYER_STORAGE,
    PATH_STANDARD,
    BackboneMetadata,
    BackboneResponse,
)
from backbone.api.serving import (
    Outcome,
    WaitReport,
    as_upbit_chunks,
    failure_response,
    final_event,
    path_for,
    progress_relay,
)
from backbone.api.subscriptions import Subscription
from backbone.coordinator import CandleRequest, Coordinator
from backbone.domain.candle_columns import CandleColumns
from backbone.domain.errors import BackboneError, InvalidInputError
from backbone.domain.models import utc_now
from backbone.domain.priority import Priority
from backbone.domain.timeframes import Timeframe
from backbone.router import WS_CANDLE_KINDS, ReserveLease, SchedulerPolicy, SmartRouter
from backbone.router.endpoints import MAX_TRADE_COUNT
from backbone.storage import MarketStore, MemoryCache

log = logging.getLogger(__name__)

LIVE_REST_URL = "https://api.upbit.com/v1"
LIVE_WS_URL = "wss://api.upbit.com/websocket/v1"
DEFAULT_CANDLE_COUNT = 200


class MarketDataBackbone:
    """Candles, tickers, order books and trades from Upbit, by priority.

    ``rest_url``/``ws_url`` default to Upbit's live endpoints; point them at a
    simulator to work offline. ``db_url`` defaults to a SQLite file in the
    user's data directory (``UPBIT_BACKBONE_DB`` overrides it). ``scheduling``
    overrides the rules of the one scheduler every exchange call goes through
    (concurrency per priority, the CRITICAL reserve, LOW's share and trickle).
    ``clock`` is this machine's time (injectable for tests); which candles are
    closed is decided by the exchange's time, never by it. Use as an async
    context manager, or call ``start()`` and ``stop()``.
    """

    def __init__(
        self,
        rest_url: str | None = None,
        ws_url: str | None = None,
        db_url: str | None = None,
        *,
        load_thresholds: LoadThresholds | None = None,
        load_sampler: Callable[[], LoadSample] = psutil_sampler,
        rate_limits: dict[str, float] | None = None,
        scheduling: SchedulerPolicy | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.rest_url = rest_url or LIVE_REST_URL
        self.ws_url = ws_url or LIVE_WS_URL
        self.source_description = "LIVE Upbit" if self.rest_url == LIVE_REST_URL else f"exchange at {self.rest_url}"
        self.load_guard = LoadGuard(thresholds=load_thresholds, sampler=load_sampler)
        self._router = SmartRouter(
            self.rest_url,
            self.ws_url,
            rate_limits=rate_limits,
            scheduling=scheduling,
            admission=self.load_guard.overloaded,
        )
        self._store = MarketStore(db_url)
        self._cache = MemoryCache()
        self._clock = clock
        self._coordinator = Coordinator(self._router, self._store, self._cache, clock=clock)
        self._markets = MarketCatalogue(self._router)
        self.metrics = MetricsCollector()
        self._tracker = ProgressTracker()
        self._started = False
        self._stopped = False
        self._process = psutil.Process()
        self._writes: set[asyncio.Task[None]] = set()  # CRITICAL pages being stored after the answer

    # -- lifecycle -------------------------------------------------------

    async def start(self) -> None:
        """Open the database and the exchange connection; load the market list if reachable."""
        if self._started:
            return
        self._started = True
        await self._store.open()
        await self._router.start()
        self._coordinator.desk.start()
        await self._markets.ensure()

    async def stop(self) -> None:
        """Close everything this backbone opened. Safe to call twice."""
        if self._stopped or not self._started:
            self._stopped = True
            return
        self._stopped = True
        await self._coordinator.desk.close()
        await self._router.stop()
        await asyncio.gather(*self._writes)
        await self._store.close()

    def _store_later(self, market: str, timeframe: Timeframe, closed: critical_path.ClosedCandles) -> None:
        """Store what a CRITICAL request fetched after answering it, off the request's path."""

        async def write() -> None:
            try:
                await self._store.write_candles(market, timeframe, closed.candles, closed.covered)
            except BackboneError as error:
                log.warning("could not store %s %s candles a CRITICAL request fetched: %s",
                            market, timeframe.code, error)

        task = asyncio.get_running_loop().create_task(write())
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def __aenter__(self) -> MarketDataBackbone:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.stop()

    # -- the four calls ----------------------------------------------------

    async def get_candle_data(
        self,
        symbol: str,
        timeframe: str,
        count: int | None = None,
        start_time: TimeInput | None = None,
        end_time: TimeInput | None = None,
        priority: Priority | str = Priority.NORMAL,
        *,
        fill_gaps: bool = False,
        progress: ProgressCallback | None = None,
        request_id: str | None = None,
    ) -> BackboneResponse:
        """Candles of one market in ascending time.

        Pass ``count`` for the latest N candles (up to ``end_time`` when given), or
        ``start_time`` (and optionally ``end_time``) for a range. Times may be aware
        datetimes, dates or ISO strings; naive ones are read as KST. Minutes without
        trades are absent, as on Upbit, unless ``fill_gaps`` is True (filled candles
        carry ``"filled": True``). Long requests report ``ProgressEvent``s to
        ``progress`` and to ``progress(request_id)`` listeners.
        """
        rid = request_id or self._tracker.new_id()

        async def work(chosen: Priority, waits: WaitReport) -> Outcome:
            tf = check_timeframe(timeframe)
            market = check_symbol(symbol, await self._known())
            wanted = check_count(count)
            start = check_time(start_time, "start_time")
            end = check_time(end_time, "end_time")
            check_range(start, end, self._clock())
            if wanted is not None and start is not None:
                raise InvalidInputError(
                    "INVALID_RANGE", "count", "pass either count (latest N candles) or start_time (a range), not both"
                )
            if wanted is None and start is None:
                wanted = DEFAULT_CANDLE_COUNT
            if chosen is Priority.CRITICAL:
                answer = await critical_path.candles(
                    self._router, self._store, market, tf, wanted, start, end, self._clock()
                )
                if answer.closed is not None:
                    self._store_later(market, tf, answer.closed)
                layers = [LAYER_ROUTER, LAYER_STORAGE] if answer.channel == "websocket" else [LAYER_ROUTER]
                return Outcome(
                    None, layers, upstream_calls=answer.upstream_calls, channel=answer.channel,
                    candles=answer.candles,
                )
            request = CandleRequest(market, tf, wanted, start, end, chosen, fill_gaps)
            result = await self._coordinator.get_candles(
                request,
                progress=progress_relay(self.metrics, self._tracker, rid, progress, chosen),
                cancel=self._tracker.cancel_event(rid),
                on_wait=waits,
            )
            self._tracker.publish(final_event(self._tracker, rid, len(result.candles)), progress)
            layers = [LAYER_COORDINATOR, LAYER_STORAGE] + ([] if result.from_storage else [LAYER_ROUTER])
            return Outcome(
                None,
                layers,
                cache_hit=result.from_storage,
                upstream_calls=result.upstream_calls,
                slo_applies=result.from_storage,
                candles=result.candles,
            )

        return await self._serve(priority, rid, work, progress)

    async def get_ticker_data(self, symbols: list[str] | str, priority: Priority | str = Priority.NORMAL) -> BackboneResponse:
        """Current tickers of the given markets (Upbit's ``/ticker`` fields)."""
        return await self._quotes("ticker", symbols, priority)

    async def get_orderbook_data(
        self, symbols: list[str] | str, priority: Priority | str = Priority.NORMAL
    ) -> BackboneResponse:
        """Order books of the given markets, best levels first."""
        return await self._quotes("orderbook", symbols, priority)

    async def get_trade_data(
        self,
        symbol: str,
        count: int | None = None,
        start_time: TimeInput | None = None,
        priority: Priority | str = Priority.NORMAL,
    ) -> BackboneResponse:
        """Recent trades of one market in ascending time: the latest ``count``, or back to
        ``start_time`` (Upbit keeps 7 days). Naive times are read as KST."""
        rid = self._tracker.new_id()

        async def work(chosen: Priority, waits: WaitReport) -> Outcome:
            market = check_symbol(symbol, await self._known())
            wanted = check_count(count, maximum=100_000)
            start = check_time(start_time, "start_time")
            check_range(start, None, self._clock())
            if wanted is None and start is None:
                wanted = 100
            if chosen is Priority.CRITICAL and start is None and wanted is not None and wanted <= MAX_TRADE_COUNT:
                answer = await critical_path.trades(self._router, market, wanted)
                return Outcome(answer.data, [LAYER_ROUTER], upstream_calls=1, channel="rest")
            result = await self._coordinator.get_trades(market, count=wanted, start=start, priority=chosen)
            return Outcome(
                [t.to_upbit() for t in result.data],
                [LAYER_COORDINATOR, LAYER_STORAGE] + ([] if result.cache_hit else [LAYER_ROUTER]),
                cache_hit=result.cache_hit,
                upstream_calls=result.upstream_calls,
                slo_applies=False,
            )

        return await self._serve(priority, rid, work, None)

    # -- beyond the four calls ----------------------------------------------

    async def stream_candle_columns(
        self,
        symbol: str,
        timeframe: str,
        start_time: TimeInput,
        end_time: TimeInput | None = None,
        priority: Priority | str = Priority.LOW,
        *,
        progress: ProgressCallback | None = None,
        request_id: str | None = None,
    ) -> AsyncIterator[CandleColumns]:
        """Candles of a range as contiguous ``CandleColumns`` chunks in ascending time,
        while later ones load: what charts and backtests draw and compute from.

        Bad input raises ``InvalidInputError`` (with ``code`` and ``field``) at the
        first iteration, since a generator has no response to carry it.
        """
        chosen = check_priority(priority)
        tf = check_timeframe(timeframe)
        market = check_symbol(symbol, await self._known())
        start = check_time(start_time, "start_time")
        end = check_time(end_time, "end_time")
        check_range(start, end, self._clock())
        rid = request_id or self._tracker.new_id()
        request = CandleRequest(market, tf, None, start, end, chosen, False)
        self.load_guard.enter(chosen)
        started = time.perf_counter()
        total = 0
        waits = WaitReport(self.load_guard, self.metrics, self._tracker, rid, progress)
        try:
            with self._tracker.running(rid):
                async for chunk in self._coordinator.stream_candles(
                    request,
                    progress=progress_relay(self.metrics, self._tracker, rid, progress, chosen),
                    cancel=self._tracker.cancel_event(rid),
                    on_wait=waits if chosen is Priority.LOW else None,
                ):
                    total += len(chunk)
                    yield chunk
                self._tracker.publish(final_event(self._tracker, rid, total), progress)
        finally:
            waits.close()
            self.load_guard.leave(chosen)
            elapsed = (time.perf_counter() - started) * 1000
            path = path_for(chosen)
            self.metrics.record(
                priority=chosen, path=path, latency_ms=elapsed, error_code=None,
                cache_hit=False, upstream_calls=0, slo_applies=False,
            )

    stream_candle_data = as_upbit_chunks(
        stream_candle_columns,
        """Candles of a range as contiguous chunks of Upbit-named dicts in ascending time, while
        later ones load; the arguments and errors are those of ``stream_candle_columns``.""",
    )

    def new_request_id(self) -> str:
        """An id to pass as ``request_id`` so you can follow ``progress(id)`` from the start."""
        return self._tracker.reserve_id()

    def progress(self, request_id: str) -> AsyncIterator[ProgressEvent]:
        """Progress events of a long request until it is done."""
        return self._tracker.events(request_id)

    def cancel(self, request_id: str) -> bool:
        """Stop a long request's further exchange calls; what was stored is kept."""
        return self._tracker.cancel(request_id)

    def hold_critical_reserve(self) -> ReserveLease:
        """Keep a few calls per second free for CRITICAL requests while a live bot runs.

        Without a lease the reserve is held only while CRITICAL calls wait, run or
        ran in the last few seconds, so bulk work (charts, backfills) may spend the
        whole budget. A bot starting in the middle of a backfill takes a lease and
        awaits ``lease.ready()`` before its first call; ``lease.release()`` (or
        leaving its ``with`` block) gives the reserve back.
        """
        return self._router.hold_critical_reserve()

    def set_load_thresholds(self, thresholds: LoadThresholds) -> None:
        """Change the CPU and memory limits above which LOW work slows to a trickle."""
        self.load_guard.set_thresholds(thresholds)

    def subscribe_ticker(self, symbols: list[str] | str) -> Subscription:
        """Live ticker updates (Upbit-named dicts) for the given markets."""
        return Subscription(self._router, "ticker", check_symbols(symbols, self._markets.codes))

    def subscribe_orderbook(self, symbols: list[str] | str) -> Subscription:
        """Live order book updates for the given markets."""
        return Subscription(self._router, "orderbook", check_symbols(symbols, self._markets.codes))

    def subscribe_trades(self, symbols: list[str] | str) -> Subscription:
        """Live trades for the given markets."""
        return Subscription(self._router, "trade", check_symbols(symbols, self._markets.codes))

    def subscribe_candles(self, symbols: list[str] | str, timeframe: str) -> Subscription:
        """Live candles (the forming one, as it changes) of a seconds or minutes timeframe.

        While subscribed, CRITICAL ``get_candle_data`` up to now for these markets is
        answered from the stream's newest candle plus closed candles, without a REST
        call, whenever each closed candle asked for is either stored or proven final by
        the stream itself (it saw the slot close, with no reconnect in between); the
        proven ones are stored, so a running bot needs REST only to fill storage at start.
        """
        tf = check_timeframe(timeframe)
        kind = WS_CANDLE_KINDS.get(tf.code)
        if kind is None:
            raise InvalidInputError(
                "INVALID_TIMEFRAME", "timeframe",
                f"timeframe {timeframe!r} has no live stream; allowed: {', '.join(WS_CANDLE_KINDS)}",
            )
        return Subscription(self._router, kind, check_symbols(symbols, self._markets.codes))

    async def list_markets(self, quote: str | None = None, priority: Priority | str = Priority.HIGH) -> BackboneResponse:
        """Markets the exchange lists (``market``, ``korean_name``, ``english_name``, ``market_event``)."""
        rid = self._tracker.new_id()

        async def work(chosen: Priority, waits: WaitReport) -> Outcome:
            calls = 0
            if self._markets.stale or not self._markets.codes:
                await self._markets.refresh(chosen)
                calls = 1
            data = [m.to_upbit(details=True) for m in self._markets.markets(quote)]
            return Outcome(data, [LAYER_ROUTER] if calls else [], cache_hit=calls == 0, upstream_calls=calls)

        return await self._serve(priority, rid, work, None)

    @property
    def ws_state(self) -> str:
        """``"connected"``, ``"connecting"`` or ``"disconnected"``."""
        return self._router.ws_state

    def metrics_snapshot(self) -> MetricsSnapshot:
        """Latency percentiles, rates, errors, cache, rate budget, queues and load, right now."""
        budget = {
            group: {"limit_per_s": b.limit_per_s, "available": b.available, "reserve": b.reserve,
                    "part": b.limit_per_s if b.part is None else b.part}
            for group, b in self._router.rate_budget().items()
        }
        return self.metrics.snapshot(
            guard=self.load_guard,
            rate_budget=budget,
            memory_cache=self._cache.stats(),
            ws_state=self.ws_state,
            rss_mb=self._process.memory_info().rss / 2**20,
        )

    def alerts(self) -> AsyncIterator[Alert]:
        """Alerts raised from now on (SLO broken, LOW deferred long)."""
        return self.metrics.alert_stream()

    async def health(self) -> dict[str, Any]:
        """Whether each layer works: exchange reachable, WebSocket connected, database writable."""
        report: dict[str, Any] = {"source": self.source_description, "rest_url": self.rest_url}
        try:
            started = time.perf_counter()
            await asyncio.wait_for(self._markets.refresh(Priority.HIGH), 5.0)
            report["exchange"] = {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}
        except (BackboneError, TimeoutError) as error:
            report["exchange"] = {"ok": False, "error": str(error) or "timed out"}
        report["websocket"] = {"ok": self.ws_state == "connected", "state": self.ws_state}
        try:
            report["database"] = {"ok": await self._store.check_writable(), "url": self._store.url}
        except BackboneError as error:
            report["database"] = {"ok": False, "error": str(error)}
        report["ok"] = bool(report["exchange"]["ok"] and report["database"]["ok"])
        return report

    async def storage_report(self) -> list[dict[str, Any]]:
        """Candles stored per market and timeframe, with first and last times."""
        rows = await self._store.size_report()
        return [
            {"market": r.market, "timeframe": r.timeframe, "candles": r.candles, "first": r.first, "last": r.last}
            for r in rows
        ]

    async def vacuum(self) -> None:
        """Give the database's free space back to the disk."""
        await self._store.vacuum()

    async def delete_history(self, symbol: str) -> int:
        """Forget every stored candle and trade of a market; returns rows deleted."""
        return await self._store.delete_market(check_symbol(symbol, None))

    # -- internals -----------------------------------------------------------

    async def _known(self) -> frozenset[str]:
        await self._markets.ensure()
        return self._markets.codes

    async def _quotes(self, kind: str, symbols: list[str] | str, priority: Priority | str) -> BackboneResponse:
        rid = self._tracker.new_id()

        async def work(chosen: Priority, waits: WaitReport) -> Outcome:
            markets = check_symbols(symbols, await self._known())
            if chosen is Priority.CRITICAL:
                answer = await critical_path.quotes(self._router, kind, markets)
                return Outcome(
                    answer.data, [LAYER_ROUTER], upstream_calls=answer.upstream_calls, channel=answer.channel,
                    cache_hit=answer.upstream_calls == 0,
                )
            fetch = self._coordinator.get_tickers if kind == "ticker" else self._coordinator.get_orderbooks
            result = await fetch(markets, priority=chosen)
            return Outcome(
                [item.to_upbit() for item in result.data],
                [LAYER_COORDINATOR, LAYER_STORAGE] + ([] if result.cache_hit else [LAYER_ROUTER]),
                cache_hit=result.cache_hit,
                upstream_calls=result.upstream_calls,
            )

        return await self._serve(priority, rid, work, None)

    async def _serve(
        self,
        priority: Priority | str,
        request_id: str,
        work: Callable[[Priority, WaitReport], Awaitable[Outcome]],
        progress: ProgressCallback | None,
    ) -> BackboneResponse:
        """Run one request on its path, time it, record it, and turn errors into a response."""
        started = time.perf_counter()
        try:
            chosen = check_priority(priority)
        except InvalidInputError as error:
            return failure_response(self.metrics, Priority.NORMAL, PATH_STANDARD, request_id, started, error)
        path = path_for(chosen)
        self.load_guard.enter(chosen)
        waits = WaitReport(self.load_guard, self.metrics, self._tracker, request_id, progress)
        try:
            with self._tracker.running(request_id):
                outcome = await work(chosen, waits)
        except BackboneError as error:
            return failure_response(self.metrics, chosen, path, request_id, started, error, waits.deferred_ms)
        except Exception as error:  # a bug must not take a panel down with it
            log.exception("request %s failed unexpectedly", request_id)
            wrapped = BackboneError(f"internal error: {type(error).__name__}: {error}")
            return failure_response(self.metrics, chosen, path, request_id, started, wrapped, waits.deferred_ms)
        finally:
            waits.close()
            self.load_guard.leave(chosen)
        deferred_ms = waits.deferred_ms
        elapsed = (time.perf_counter() - started) * 1000
        self.metrics.record(
            priority=chosen, path=path, latency_ms=elapsed, error_code=None, cache_hit=outcome.cache_hit,
            upstream_calls=outcome.upstream_calls, slo_applies=outcome.slo_applies,
        )
        count = len(outcome.candles) if outcome.candles is not None else len(outcome.data or ())
        metadata = BackboneMetadata(
            priority_used=chosen, path_taken=path, processing_time_ms=elapsed, data_count=count,
            source_layers=outcome.layers, cache_hit=outcome.cache_hit, request_id=request_id,
            deferred_ms=deferred_ms, upstream_calls=outcome.upstream_calls, channel=outcome.channel,
        )
        return BackboneResponse(True, outcome.data, metadata, candles=outcome.candles)
