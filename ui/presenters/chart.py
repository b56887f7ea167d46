"""The chart panel's presenter: everything the chart asks of the backbone, at NORMAL priority.

It loads a market's candles, folds its live trades into the forming candle (each
trade once; a closed candle is then replaced by the exchange's own), loads older
history until the view is filled or the market's history begins, and follows the
order book and recent trades. It tells its widget what changed through the
``ChartDisplay`` callbacks and never touches Qt.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from backbone import Priority
from ui.models.chart import navigation
from ui.models.chart.order_book import TAPE_LENGTH, BookView, TapeRow, TradeTape, book_view
from ui.models.chart.series import CandleSeries
from ui.models.chart.studies import IndicatorSpec, Lines, SeriesChanges, bring_up_to_date
from ui.tasks import TaskSet

if TYPE_CHECKING:
    from backbone import MarketDataBackbone

log = logging.getLogger(__name__)

PRIORITY = Priority.NORMAL
INITIAL_COUNT = 400  # candles loaded when a market opens
OLDER_PAGE = 400  # candles asked for per step back in history
RECONCILE_DELAY_S = 1.0  # after a candle closes, wait this long and take the exchange's final values
RETRY_S = 2.0  # before resubscribing after the live feed broke


class ChartDisplay(Protocol):
    """What the chart widget does when the presenter has news."""

    def show_series(self, series: CandleSeries) -> None:
        """A new market or timeframe: show ``series`` from its latest candles."""

    def series_changed(self) -> None:
        """The series changed in place (a live trade, a closed candle's final values, older history)."""

    def show_loading(self, text: str | None) -> None:
        """Say what is loading, or nothing (None)."""

    def show_history_start(self, x: float | None) -> None:
        """The market's first candle starts at ``x`` (None: not known yet)."""

    def show_error(self, text: str) -> None:
        """Say what went wrong, in a trader's words."""

    def show_book(self, book: BookView) -> None:
        """The order book changed."""

    def show_trades(self, rows: Sequence[TapeRow]) -> None:
        """The recent trades changed (newest first)."""

    def show_markets(self, markets: Sequence[dict[str, Any]]) -> None:
        """The markets the search box can offer."""


class ChartPresenter:
    """One chart's conversation with the backbone, and the model it keeps up to date."""

    def __init__(
        self,
        backbone: MarketDataBackbone,
        display: ChartDisplay,
        *,
        market: str = "KRW-BTC",
        timeframe: str = "1m",
        reconcile_delay_s: float | None = RECONCILE_DELAY_S,
    ) -> None:
        self.backbone = backbone
        self.display = display
        self.market = market
        self.timeframe = timeframe
        self.series = CandleSeries(timeframe)
        self.tape = TradeTape()
        self.book: BookView | None = None
        self.history_exhausted = False
        self.indicators: tuple[IndicatorSpec, ...] = ()
        self.reconcile_delay_s = reconcile_delay_s
        self.tasks = TaskSet("chart", on_error=self._task_failed)
        self._generation = 0  # bumps on every market/timeframe switch; stale results are dropped
        self._wanted_left = float("inf")  # the view's left edge, as the widget last reported it
        self._older_failed = False
        self._reconcile_wanted = False
        self._revision = 0  # bumps whenever the series changes, so indicator lines are recomputed
        self._lines: tuple[int, tuple[IndicatorSpec, ...], dict[IndicatorSpec, Lines]] | None = None
        self._changes = SeriesChanges(everything=True)  # since the indicator lines were computed

    # -- markets and candles --------------------------------------------------------------

    def start(self) -> None:
        """Load the market list and open the current market (call once the loop runs)."""
        self.tasks.start(self.load_markets(), "markets")
        self.tasks.start(self.open(self.market, self.timeframe), "open")

    async def open(self, market: str, timeframe: str | None = None) -> bool:
        """Show ``market`` (in ``timeframe``): its latest candles, then live trades. True on success."""
        timeframe = timeframe or self.timeframe
        if timeframe not in navigation.TIMEFRAMES:
            self.display.show_error(f"Timeframe {timeframe!r} is not one of: {', '.join(navigation.TIMEFRAMES)}")
            return False
        self._generation += 1
        generation = self._generation
        for name in ("live", "older", "book", "reconcile"):
            self.tasks.cancel(name)
        self.display.show_loading(f"Loading {market} {timeframe}…")
        try:
            # Subscribe before asking for candles, so no trade falls between the two.
            stream = self.backbone.subscribe_trades([market])
            await stream.__aenter__()
        except Exception as error:  # an unknown market is refused here, before any candle is asked for
            if generation == self._generation:
                self.display.show_loading(None)
                self.display.show_error(f"Could not load {market} {timeframe}: {error}")
            return False
        try:
            response = await self.backbone.get_candle_data(market, timeframe, count=INITIAL_COUNT, priority=PRIORITY)
        except BaseException:
            await stream.close()
            raise
        if generation != self._generation or not response.success:
            await stream.close()
            if generation == self._generation:
                self.display.show_loading(None)
                self.display.show_error(f"Could not load {market} {timeframe}: {response.error}")
            return False
        self.market, self.timeframe = market, timeframe
        series = CandleSeries(timeframe)
        assert response.candles is not None  # a candle answer always carries its columns
        series.replace(response.candles)
        self.series = series
        self.history_exhausted = False
        self._older_failed = False
        self._wanted_left = float("inf")
        self.tape.clear()
        self.book = None
        self._touch()
        self.display.show_loading(None)
        self.display.show_history_start(None)
        self.display.show_series(series)
        self.tasks.start(self._follow_trades(stream, market, generation), "live")
        self.tasks.start(self._follow_book(market, generation), "book")
        return True

    def want_history(self, view_left: float) -> None:
        """The view's left edge is at ``view_left``: load older candles until it is filled."""
        self._wanted_left = view_left
        if self._older_failed or self.tasks.running("older"):
            return
        if navigation.needs_older(self.series, view_left, exhausted=self.history_exhausted):
            self.display.show_loading("Loading older history…")
            self.tasks.start(self._fill_history(self._generation), "older")

    async def load_older(self) -> int:
        """Prepend one page of history before the oldest candle held; returns candles added."""
        if not len(self.series) or self.history_exhausted:
            return 0
        generation = self._generation
        response = await self.backbone.get_candle_data(
            self.market, self.timeframe, count=OLDER_PAGE,
            end_time=datetime.fromtimestamp(float(self.series.x[0]), tz=UTC), priority=PRIORITY,
        )
        if generation != self._generation:
            return 0
        if not response.success:
            self._older_failed = True
            self.display.show_error(f"Could not load older history: {response.error}")
            return 0
        assert response.candles is not None
        oldest = float(self.series.x[0])
        added = self.series.merge(response.candles)
        if added:
            self._touch(prepended=added if float(self.series.x[added]) == oldest else None)
            self.display.series_changed()
            return added
        # The exchange has nothing before the oldest candle held: the market's history starts here.
        self.history_exhausted = True
        self.display.show_history_start(float(self.series.x[0]))
        return 0

    # -- indicators -------------------------------------------------------------------------

    def set_indicators(self, specs: Sequence[IndicatorSpec]) -> None:
        """Choose the indicators drawn (their lines are computed on demand)."""
        self.indicators = tuple(dict.fromkeys(specs))

    def indicator_lines(self) -> dict[IndicatorSpec, Lines]:
        """Every chosen indicator's lines over the current series, recomputed only after a change."""
        cached = self._lines
        if cached is not None and cached[0] == self._revision and cached[1] == self.indicators:
            return cached[2]
        # Older history or the live candle: each line is computed only where it changed.
        lines = bring_up_to_date(self.indicators, None if cached is None else cached[2], self.series, self._changes)
        self._lines = (self._revision, self.indicators, lines)
        self._changes = SeriesChanges()
        return lines

    # -- lifetime ---------------------------------------------------------------------------------

    async def stop(self) -> None:
        """Stop the live feeds and any loads."""
        self._generation += 1
        await self.tasks.wait_cancelled()

    # -- background work ----------------------------------------------------------------------

    def _touch(self, *, prepended: int | None = None, changed_from: int | None = None) -> None:
        """The series changed: ``prepended`` older candles were put before it, or candles from
        index ``changed_from`` on changed, if that is all."""
        self._revision += 1
        if prepended is not None:
            self._changes.older(prepended)
        elif changed_from is not None:
            self._changes.newer(changed_from)
        else:
            self._changes.everything = True

    async def load_markets(self) -> None:
        """Hand the market list to the display (for the search box)."""
        response = await self.backbone.list_markets(priority=PRIORITY)
        if response.success:
            self.display.show_markets(response.data)
        else:
            self.display.show_error(f"Could not load the market list: {response.error}")

    async def _fill_history(self, generation: int) -> None:
        try:
            while generation == self._generation and not self._older_failed and navigation.needs_older(
                self.series, self._wanted_left, exhausted=self.history_exhausted
            ):
                await self.load_older()
        finally:
            if generation == self._generation:
                self.display.show_loading(None)

    async def _follow_trades(self, stream: Any, market: str, generation: int) -> None:
        """Fold live trades into the forming candle and the trade list; resubscribe if the feed breaks."""
        while generation == self._generation:
            try:
                first = True
                async for trade in stream:
                    if generation != self._generation:
                        return
                    if trade.get("market") != market:
                        continue
                    if first:
                        first = False
                        await self._fill_trade_gap(market, generation)
                    self._fold(trade, generation)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the feed is best effort: say so, then pick it up again
                log.warning("live trades for %s stopped: %s", market, error)
                self.display.show_error(f"Live updates paused: {error}")
            finally:
                await stream.close()
            await asyncio.sleep(RETRY_S)
            stream = self.backbone.subscribe_trades([market])
            self._schedule_reconcile(generation)

    async def _fill_trade_gap(self, market: str, generation: int) -> None:
        """Fold the trades made between the candles' snapshot and the feed's first message.

        A feed delivers trades from the moment the exchange registers it, which can be
        after the candles were read; the exchange's recent trades close that gap (trades
        already counted are skipped by id and time)."""
        response = await self.backbone.get_trade_data(market, count=TAPE_LENGTH * 4, priority=PRIORITY)
        if generation != self._generation or not response.success:
            return
        for trade in response.data:
            self._fold(trade, generation)

    def _fold(self, trade: dict[str, Any], generation: int) -> None:
        outcome = self.series.apply_trade(
            float(trade["trade_price"]), int(trade["timestamp"]), float(trade["trade_volume"]),
            int(trade["sequential_id"]),
        )
        if self.tape.add([trade]):
            self.display.show_trades(self.tape.rows())
        if outcome == "ignored":
            return
        self._touch(changed_from=len(self.series) - 1)  # the live candle, moved or new
        self.display.series_changed()
        if outcome == "appended":
            self._schedule_reconcile(generation)

    def _schedule_reconcile(self, generation: int) -> None:
        if self.reconcile_delay_s is None:
            return
        self._reconcile_wanted = True
        if not self.tasks.running("reconcile"):
            self.tasks.start(self._reconcile(generation, self.reconcile_delay_s), "reconcile")

    async def _reconcile(self, generation: int, delay_s: float) -> None:
        """Replace the candles closed since the last pass by the exchange's final ones."""
        while self._reconcile_wanted and generation == self._generation:
            self._reconcile_wanted = False
            await asyncio.sleep(delay_s)
            response = await self.backbone.get_candle_data(self.market, self.timeframe, count=3, priority=PRIORITY)
            if generation != self._generation or not response.success:
                return
            assert response.candles is not None
            if self.series.overwrite_closed(response.candles):
                earliest = float(response.candles.start_ms.min()) / 1000.0
                self._touch(changed_from=int(np.searchsorted(self.series.x, earliest)))
                self.display.series_changed()

    async def _follow_book(self, market: str, generation: int) -> None:
        """The order book and recent trades: a NORMAL snapshot first, then the live feed."""
        book, trades = await asyncio.gather(
            self.backbone.get_orderbook_data(market, priority=PRIORITY),
            self.backbone.get_trade_data(market, count=TAPE_LENGTH, priority=PRIORITY),
        )
        if generation != self._generation:
            return
        if book.success and book.data:
            self.book = book_view(book.data[0])
            self.display.show_book(self.book)
        if trades.success and self.tape.add(trades.data):
            self.display.show_trades(self.tape.rows())
        while generation == self._generation:
            try:
                async with self.backbone.subscribe_orderbook([market]) as stream:
                    async for update in stream:
                        if generation != self._generation:
                            return
                        if update.get("market") == market:
                            self.book = book_view(update)
                            self.display.show_book(self.book)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("order book feed for %s stopped: %s", market, error)
            await asyncio.sleep(RETRY_S)

    def _task_failed(self, error: BaseException) -> None:
        self.display.show_error(f"Chart error: {error}")

