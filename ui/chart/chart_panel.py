"""Chart viewer panel (NORMAL priority): market search, timeframes, candles with indicators,
a live last candle, and the order book and recent trades beside them.

The widget only renders: ``ui.presenters.chart.ChartPresenter`` talks to the backbone
(``list_markets``, ``get_candle_data``, ``subscribe_trades``, ``get_orderbook_data``,
``subscribe_orderbook``, ``get_trade_data``) and keeps the Qt-free model; this panel
is its ``ChartDisplay``. Each market's timeframe, indicators, zoom and scale are
remembered in the injected QSettings store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PyQt6 import QtCore, QtWidgets
from PyQt6.QtCore import QSettings

from ui.chart.chart_view import ChartView
from ui.chart.indicator_menu import IndicatorMenu
from ui.chart.market_search import MarketSearch
from ui.chart.order_book_view import OrderBookView
from ui.chart.state_store import ChartStateStore
from ui.export import kst_text
from ui.models.chart.legend import legend_text
from ui.models.chart.navigation import TIMEFRAMES
from ui.models.chart.order_book import BookView, TapeRow
from ui.models.chart.series import CandleSeries
from ui.models.chart.state import DEFAULT_VISIBLE, ChartState
from ui.models.chart.studies import IndicatorSpec
from ui.panel import ExportRows
from ui.presenters.chart import INITIAL_COUNT, ChartPresenter
from ui.widgets import InlineMessage

if TYPE_CHECKING:
    from backbone import MarketDataBackbone

__all__ = ["INITIAL_COUNT", "ChartPanel"]

_REDRAW_MS = 50  # live updates are drawn at most this often


class ChartPanel(QtWidgets.QWidget):
    """Candlestick chart of one market, with its order book and trades, through the backbone."""

    loaded = QtCore.pyqtSignal(str, str, int)  # market, timeframe, candles held

    def __init__(
        self,
        backbone: MarketDataBackbone,
        parent: QtWidgets.QWidget | None = None,
        *,
        market: str = "KRW-BTC",
        timeframe: str = "1m",
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("chartPanel")
        self.backbone = backbone
        self.store = None if settings is None else ChartStateStore(settings)
        if self.store is not None:
            market = self.store.last_market() or market
            remembered = self.store.load(market)
            timeframe = remembered.timeframe if remembered else timeframe
        self.presenter = ChartPresenter(backbone, self, market=market, timeframe=timeframe)
        self._hovered = -1
        self._pending_view: ChartState | None = None

        self.search = MarketSearch(self)
        self.search.setText(market)
        self.search.market_chosen.connect(self.show_market)
        self.search.invalid.connect(self.show_error)
        self._tf_buttons = QtWidgets.QButtonGroup(self)
        self._tf_buttons.setExclusive(True)
        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(QtWidgets.QLabel("Market"))
        bar.addWidget(self.search, 2)
        for code in TIMEFRAMES:
            button = QtWidgets.QToolButton(self)
            button.setText(code)
            button.setCheckable(True)
            button.setChecked(code == timeframe)
            button.setObjectName(f"timeframe_{code}")
            button.clicked.connect(lambda _checked=False, c=code: self.show_timeframe(c))
            self._tf_buttons.addButton(button)
            bar.addWidget(button)
        self.indicator_menu = IndicatorMenu(self)
        self.indicator_menu.changed.connect(self._indicators_chosen)
        self.indicator_menu.invalid.connect(self.show_error)
        self.log_button = QtWidgets.QToolButton(self)
        self.log_button.setText("Log")
        self.log_button.setObjectName("logScale")
        self.log_button.setCheckable(True)
        self.log_button.setToolTip("Logarithmic price scale")
        self.log_button.toggled.connect(self._log_toggled)
        self.latest_button = QtWidgets.QToolButton(self)
        self.latest_button.setText("Latest ⇥")
        self.latest_button.setObjectName("jumpToLatest")
        self.latest_button.setToolTip("Jump to the latest candle")
        self.latest_button.clicked.connect(self.jump_to_latest)
        for widget in (self.indicator_menu, self.log_button, self.latest_button):
            bar.addWidget(widget)
        bar.addStretch(1)
        self.loading_label = QtWidgets.QLabel("", self)
        self.loading_label.setObjectName("chartLoading")
        bar.addWidget(self.loading_label)

        self.legend = QtWidgets.QLabel(" ", self)
        self.legend.setObjectName("chartLegend")
        self.message = InlineMessage(self)
        self.view = ChartView(self)
        self.view.hovered.connect(self._hover)
        self.view.left_edge_moved.connect(self.presenter.want_history)
        self.book = OrderBookView(self)
        self.book.price_clicked.connect(self.view.add_price_line)

        chart_side = QtWidgets.QWidget(self)
        chart_layout = QtWidgets.QVBoxLayout(chart_side)
        chart_layout.setContentsMargins(0, 0, 0, 0)
        chart_layout.addWidget(self.legend)
        chart_layout.addWidget(self.message)
        chart_layout.addWidget(self.view, 1)
        splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal, self)
        splitter.addWidget(chart_side)
        splitter.addWidget(self.book)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([900, 320])
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)

        self._redraw = QtCore.QTimer(self)
        self._redraw.setSingleShot(True)
        self._redraw.setInterval(_REDRAW_MS)
        self._redraw.timeout.connect(self._draw_changes)
        self._trades: Sequence[TapeRow] = ()

    # -- what tests and the app read ---------------------------------------------

    @property
    def market(self) -> str:
        return self.presenter.market

    @property
    def timeframe(self) -> str:
        return self.presenter.timeframe

    @property
    def series(self) -> CandleSeries:
        return self.presenter.series

    def candle_count(self) -> int:
        return len(self.series)

    def last_candle(self) -> dict[str, Any]:
        """The newest candle: ``start`` (aware UTC), open, high, low, close, volume; {} if none."""
        if not len(self.series):
            return {}
        candle = self.series.candle(len(self.series) - 1)
        candle["start"] = datetime.fromtimestamp(candle.pop("x"), tz=UTC)
        return candle

    def state(self) -> ChartState:
        """The chart's settings as they stand (what is remembered for this market)."""
        return ChartState(
            timeframe=self.timeframe,
            indicators=self.presenter.indicators,
            visible_candles=self.view.visible_candles() if len(self.series) else DEFAULT_VISIBLE,
            log_scale=self.view.log_scale,
        )

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
        self.presenter.tasks.start(self.presenter.load_markets(), "markets")
        self.show_market(self.market)

    def show_market(self, market: str) -> None:
        """Switch to ``market``; loads in the background."""
        self.presenter.tasks.start(self.open(market), "open")

    def show_timeframe(self, timeframe: str) -> None:
        self.presenter.tasks.start(self.open(self.market, timeframe), "open")

    async def open(self, market: str, timeframe: str | None = None) -> bool:
        """Load the latest candles of ``market`` (in ``timeframe``, else the one remembered for
        it, else the current one) and follow it live. True on success."""
        self.remember()
        remembered = self.store.load(market) if self.store is not None else None
        if timeframe is None:
            timeframe = remembered.timeframe if remembered is not None else self.timeframe
        self._pending_view = remembered
        return await self.presenter.open(market, timeframe)

    async def load_older(self) -> int:
        """Prepend one page of history before the oldest candle held; returns candles added."""
        return await self.presenter.load_older()

    def jump_to_latest(self) -> None:
        """Frame the latest candles at the current zoom."""
        self.view.show_last(self.view.visible_candles())

    def remember(self) -> None:
        """Store this market's chart state (timeframe, indicators, zoom, scale)."""
        if self.store is not None and len(self.series):
            self.store.save(self.market, self.state())

    async def stop(self) -> None:
        """Remember the chart state, stop the live feeds and any loads."""
        self.remember()
        self._redraw.stop()
        await self.presenter.stop()

    def closeEvent(self, event: Any) -> None:
        self.presenter.tasks.cancel_all()
        super().closeEvent(event)

    # -- ChartDisplay: what the presenter tells the widget ---------------------------------

    def show_series(self, series: CandleSeries) -> None:
        state = self._pending_view
        self._pending_view = None
        if state is not None:
            self.indicator_menu.set_chosen(state.indicators)
            self.presenter.set_indicators(state.indicators)
            self.log_button.blockSignals(True)
            self.log_button.setChecked(state.log_scale)
            self.log_button.blockSignals(False)
            self.view.set_log_scale(state.log_scale)
        self.search.setText(self.market)
        for button in self._tf_buttons.buttons():
            button.setChecked(button.text() == self.timeframe)
        self.message.clear_message()
        self.book.clear()
        self.view.clear_price_lines()
        self.view.set_series(series, visible=state.visible_candles if state is not None else DEFAULT_VISIBLE)
        self._hovered = -1
        self._draw_changes()
        self.loaded.emit(self.market, self.timeframe, len(series))

    def series_changed(self) -> None:
        if not self._redraw.isActive():
            self._redraw.start()

    def show_loading(self, text: str | None) -> None:
        self.loading_label.setText(text or "")

    def show_history_start(self, x: float | None) -> None:
        self.view.show_history_start(x)

    def show_error(self, text: str) -> None:
        self.message.show_error(text)

    def show_book(self, book: BookView) -> None:
        self.book.show_book(book)

    def show_trades(self, rows: Sequence[TapeRow]) -> None:
        self._trades = rows
        self.series_changed()

    def show_markets(self, markets: Sequence[dict[str, Any]]) -> None:
        self.search.set_markets(markets)

    # -- drawing --------------------------------------------------------------------------------

    def _draw_changes(self) -> None:
        """Redraw what changed since the last frame: candles, indicators, legend and trades."""
        self.view.data_changed()
        self.view.set_indicators(self.presenter.indicator_lines())
        self._show_legend()
        if self._trades:
            self.book.show_trades(self._trades)
            self._trades = ()

    def _show_legend(self) -> None:
        index = self._hovered if 0 <= self._hovered < len(self.series) else None
        self.legend.setText(legend_text(self.market, self.timeframe, self.series, index))

    def _hover(self, index: int) -> None:
        self._hovered = index
        self._show_legend()

    def _indicators_chosen(self, specs: tuple[IndicatorSpec, ...]) -> None:
        self.presenter.set_indicators(specs)
        self.view.set_indicators(self.presenter.indicator_lines())
        self.remember()

    def _log_toggled(self, log: bool) -> None:
        self.view.set_log_scale(log)
        self.remember()
