"""Chart viewer panel (NORMAL priority): market search, timeframes, candles, live last candle.

Calls on the backbone: ``list_markets()``, ``get_candle_data(market, timeframe,
count=..., end_time=..., priority=NORMAL)`` and ``subscribe_ticker([market])``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PyQt6 import QtCore, QtWidgets

from backbone import Priority
from ui.chart.chart_view import ChartView
from ui.chart.market_search import MarketSearch
from ui.chart.time_axis import KST
from ui.export import kst_text
from ui.models.chart.series import CandleSeries
from ui.models.formatting import format_amount, format_price
from ui.panel import ExportRows
from ui.tasks import TaskSet
from ui.timeframes import CHART_TIMEFRAMES
from ui.widgets import InlineMessage

if TYPE_CHECKING:
    from backbone import MarketDataBackbone

log = logging.getLogger(__name__)

PRIORITY = Priority.NORMAL
INITIAL_COUNT = 400  # candles loaded when a market opens
OLDER_PAGE = 400  # candles loaded per scroll back


class ChartPanel(QtWidgets.QWidget):
    """Candlestick chart of one market, loading history and live ticks through the backbone."""

    loaded = QtCore.pyqtSignal(str, str, int)  # market, timeframe, candles held

    def __init__(
        self,
        backbone: MarketDataBackbone,
        parent: QtWidgets.QWidget | None = None,
        *,
        market: str = "KRW-BTC",
        timeframe: str = "1m",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("chartPanel")
        self.backbone = backbone
        self._market = market
        self._timeframe = timeframe
        self._generation = 0  # bumps on every market/timeframe switch; stale results are dropped
        self._history_exhausted = False
        self.tasks = TaskSet("chart", on_error=self._task_failed)
        self.series = CandleSeries(timeframe)

        self.search = MarketSearch(self)
        self.search.setText(market)
        self.search.market_chosen.connect(self.show_market)
        self.search.invalid.connect(self._show_error)
        self._tf_buttons = QtWidgets.QButtonGroup(self)
        self._tf_buttons.setExclusive(True)
        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(QtWidgets.QLabel("Market"))
        bar.addWidget(self.search, 2)
        for code in CHART_TIMEFRAMES:
            button = QtWidgets.QToolButton(self)
            button.setText(code)
            button.setCheckable(True)
            button.setChecked(code == timeframe)
            button.setObjectName(f"timeframe_{code}")
            button.clicked.connect(lambda _checked=False, c=code: self.show_timeframe(c))
            self._tf_buttons.addButton(button)
            bar.addWidget(button)
        bar.addStretch(1)
        self.readout = QtWidgets.QLabel(" ", self)
        self.readout.setObjectName("chartReadout")
        self.message = InlineMessage(self)
        self.view = ChartView(self)
        self.view.hovered.connect(self._show_readout)
        self.view.reached_left_edge.connect(self._load_older_soon)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(self.readout)
        layout.addWidget(self.message)
        layout.addWidget(self.view, 1)

    # -- what tests and the app read ---------------------------------------------

    @property
    def market(self) -> str:
        return self._market

    @property
    def timeframe(self) -> str:
        return self._timeframe

    def candle_count(self) -> int:
        return len(self.series)

    def last_candle(self) -> dict[str, Any]:
        """The newest candle: ``start`` (aware UTC), open, high, low, close, volume; {} if none."""
        if not len(self.series):
            return {}
        candle = self.series.candle(len(self.series) - 1)
        candle["start"] = datetime.fromtimestamp(candle.pop("x"), tz=UTC)
        return candle

    # -- actions ------------------------------------------------------------------------

    def export_rows(self) -> ExportRows:
        """Every loaded candle (KST time, OHLCV), for File → Export."""
        series = self.series
        header = ["time_kst", "open", "high", "low", "close", "volume"]
        rows = [
            [kst_text(series.x[i]), series.open[i], series.high[i], series.low[i], series.close[i], series.volume[i]]
            for i in range(len(series))
        ]
        return header, rows

    def is_ready(self) -> bool:
        """True once candles are on screen."""
        return self.candle_count() > 0

    def start(self) -> None:
        """Load the market list and the initial chart (call once the loop runs)."""
        self.tasks.start(self._load_markets(), "markets")
        self.show_market(self._market)

    def show_market(self, market: str) -> None:
        """Switch to ``market`` (keeps the timeframe); loads in the background."""
        self.tasks.start(self.open(market, self._timeframe), "open")

    def show_timeframe(self, timeframe: str) -> None:
        self.tasks.start(self.open(self._market, timeframe), "open")

    async def open(self, market: str, timeframe: str | None = None) -> bool:
        """Load the latest candles of ``market`` and follow its live trades. True on success."""
        timeframe = timeframe or self._timeframe
        if timeframe not in CHART_TIMEFRAMES:
            self._show_error(f"Timeframe {timeframe!r} is not one of: {', '.join(CHART_TIMEFRAMES)}")
            return False
        self._generation += 1
        generation = self._generation
        self.tasks.cancel("live")
        self.tasks.cancel("older")
        self.message.show_info(f"Loading {market} {timeframe}…")
        response = await self.backbone.get_candle_data(
            market, timeframe, count=INITIAL_COUNT, priority=PRIORITY
        )
        if generation != self._generation:
            return False
        if not response.success:
            self._show_error(f"Could not load {market} {timeframe}: {response.error}")
            return False
        self._market, self._timeframe = market, timeframe
        self.search.setText(market)
        for button in self._tf_buttons.buttons():
            button.setChecked(button.text() == timeframe)
        series = CandleSeries(timeframe)
        assert response.candles is not None  # a candle answer always carries its columns
        series.replace(response.candles)
        self.series = series
        self._history_exhausted = len(series) < INITIAL_COUNT
        self.view.set_series(series)
        self.message.clear_message()
        self.tasks.start(self._follow_live(market, generation), "live")
        self.loaded.emit(market, timeframe, len(series))
        return True

    async def load_older(self) -> int:
        """Prepend one page of history before the oldest candle held; returns candles added."""
        if not len(self.series) or self._history_exhausted:
            return 0
        generation = self._generation
        oldest = datetime.fromtimestamp(float(self.series.x[0]), tz=UTC)
        response = await self.backbone.get_candle_data(
            self._market, self._timeframe, count=OLDER_PAGE, end_time=oldest, priority=PRIORITY
        )
        if generation != self._generation:
            return 0
        if not response.success:
            self._show_error(f"Could not load older history: {response.error}")
            return 0
        assert response.candles is not None
        added = self.series.merge(response.candles)
        if added == 0:
            self._history_exhausted = True  # nothing older exists
        else:
            self.view.data_changed()
        return added

    async def stop(self) -> None:
        """Stop the live feed and any loads."""
        await self.tasks.wait_cancelled()

    def closeEvent(self, event: Any) -> None:
        self.tasks.cancel_all()
        super().closeEvent(event)

    # -- background work -------------------------------------------------------------------

    async def _load_markets(self) -> None:
        response = await self.backbone.list_markets(priority=PRIORITY)
        if response.success:
            self.search.set_markets(response.data)
        else:
            self._show_error(f"Could not load the market list: {response.error}")

    def _load_older_soon(self) -> None:
        if not self.tasks.running("older") and not self._history_exhausted:
            self.tasks.start(self.load_older(), "older")

    async def _follow_live(self, market: str, generation: int) -> None:
        """Fold live trades into the last candle; reconnect after a dropped feed."""
        while generation == self._generation:
            try:
                async with self.backbone.subscribe_ticker([market]) as stream:
                    async for ticker in stream:
                        if generation != self._generation:
                            return
                        if (ticker.get("market") or ticker.get("code")) != market:
                            continue
                        self.series.apply_trade(
                            float(ticker["trade_price"]),
                            int(ticker.get("trade_timestamp") or ticker["timestamp"]),
                            float(ticker.get("trade_volume") or 0.0),
                        )
                        self.view.data_changed()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the feed is best effort: say so and retry
                log.warning("live feed for %s stopped: %s", market, error)
                self.message.show_info(f"Live updates paused: {error}")
            await asyncio.sleep(2.0)

    # -- display -----------------------------------------------------------------------------

    def _show_readout(self, candle: dict[str, Any]) -> None:
        when = datetime.fromtimestamp(candle["x"], tz=KST).strftime("%Y-%m-%d %H:%M KST")
        change = candle["close"] - candle["open"]
        self.readout.setText(
            f"{self._market} {self._timeframe}  {when}   O {format_price(candle['open'])}"
            f"  H {format_price(candle['high'])}  L {format_price(candle['low'])}"
            f"  C {format_price(candle['close'])}  ({change / candle['open'] * 100:+.2f}%)"
            f"  V {format_amount(candle['volume'])}"
        )

    def _show_error(self, text: str) -> None:
        self.message.show_error(text)

    def _task_failed(self, error: BaseException) -> None:
        self._show_error(f"Chart error: {error}")
