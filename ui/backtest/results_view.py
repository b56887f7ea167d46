"""The backtest results: headline statistics, then full-width tabs of the run's candles with
entry and exit markers over its equity and drawdown (one time axis), and the trade list."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui, QtWidgets

from ui.backtest.trades_table import TradesTable
from ui.chart.candle_item import CandlestickItem
from ui.chart.price_axis import AXIS_WIDTH, PriceAxis
from ui.chart.time_axis import KstTimeAxis
from ui.colors import FALL, RISE, SERIES, change_color
from ui.models.backtest.engine import BacktestResult
from ui.models.backtest.runs import holding_text, percent, ratio
from ui.models.chart.series import CandleSeries
from ui.plots import PlotLayout, legend_above, settle
from ui.timeframes import timeframe_seconds

STAT_NAMES = (
    "Total return", "Buy & hold", "CAGR", "Max drawdown", "Sharpe (daily)", "Profit factor",
    "Win rate", "Trades", "Avg trade", "Avg holding", "Exposure", "Bars",
)
STAT_TIPS = {
    "Sharpe (daily)": "Mean over deviation of daily (KST) returns, times √365",
    "CAGR": "Compound annual growth over the tested span (large for short spans)",
    "Profit factor": "Sum of winning trades over the sum of losing trades",
    "Exposure": "Share of bars holding a position",
    "Avg holding": "Mean time from entry to exit",
}
STATS_PER_ROW = 6
_MARKER_SIZE = 9


class ResultsView(QtWidgets.QWidget):
    """Shows a ``BacktestResult``; call ``show_result`` as often as it grows."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.stat_labels: dict[str, QtWidgets.QLabel] = {}
        stats = QtWidgets.QGridLayout()
        for i, name in enumerate(STAT_NAMES):
            row, column = divmod(i, STATS_PER_ROW)
            caption = QtWidgets.QLabel(name, self)
            caption.setObjectName("statCaption")
            caption.setToolTip(STAT_TIPS.get(name, ""))
            value = QtWidgets.QLabel("-", self)
            value.setObjectName("statValue")
            stats.addWidget(caption, 2 * row, column)
            stats.addWidget(value, 2 * row + 1, column)
            self.stat_labels[name] = value
        self.note = QtWidgets.QLabel("", self)
        self.note.setObjectName("resultNote")
        self.note.setWordWrap(True)
        self.note.hide()

        self.chart = PlotLayout(self)
        self.price_plot = self.chart.add_plot(
            0, 0, axisItems={"bottom": KstTimeAxis(), "left": PriceAxis("left")}
        )
        self.equity_plot = self.chart.add_plot(1, 0, axisItems={"bottom": KstTimeAxis()})
        self.drawdown_plot = self.chart.add_plot(2, 0, axisItems={"bottom": KstTimeAxis()})
        plots = (self.price_plot, self.equity_plot, self.drawdown_plot)
        for row, (stretch, plot) in enumerate(zip((5, 3, 2), plots, strict=True)):
            plot.setMenuEnabled(False)
            plot.showGrid(x=True, y=True, alpha=0.15)
            value_axis = plot.getAxis("left")
            value_axis.setWidth(AXIS_WIDTH)  # one width, so the three x axes line up
            # Grid lines of major and minor ticks only: the sub-minor level added 40-ish
            # full-width lines per plot at 1-4/255 opacity (invisible), and blending them
            # was two thirds of the results chart's paint (12 of 18 ms at 1100 px).
            value_axis.setStyle(maxTickLevel=1)
            self.chart.ci.layout.setRowStretchFactor(row, stretch)
        for plot in (self.equity_plot, self.drawdown_plot):
            plot.setXLink(self.price_plot)
        for plot in (self.price_plot, self.equity_plot):
            plot.getAxis("bottom").setStyle(showValues=False)
        self.price_plot.setLabel("left", "price")
        self.equity_plot.setLabel("left", "equity (start = 1)")
        self.drawdown_plot.setLabel("left", "drawdown %")
        self.candles = CandlestickItem(CandleSeries("1m"))
        self.price_plot.addItem(self.candles)
        marker_pen = pg.mkPen("#000000", width=0.5)
        self.entry_markers = pg.ScatterPlotItem(
            symbol="t1", size=_MARKER_SIZE, brush=pg.mkBrush(RISE), pen=marker_pen, name="entry"
        )
        self.exit_markers = pg.ScatterPlotItem(
            symbol="t", size=_MARKER_SIZE, brush=pg.mkBrush(FALL), pen=marker_pen, name="exit"
        )
        for markers in (self.entry_markers, self.exit_markers):
            self.price_plot.addItem(markers)
        self.legend = legend_above(self.equity_plot, columns=3)
        # Thin pens and peak downsampling: months of minutes are 100,000+ points, and a
        # wide pen or an undecimated line would hold the event loop for 100+ ms per redraw.
        self.equity_curve = self.equity_plot.plot([], [], pen=pg.mkPen(SERIES[0], width=1), name="strategy")
        self.hold_curve = self.equity_plot.plot([], [], pen=pg.mkPen(SERIES[1], width=1), name="buy & hold")
        self.compare_curve = self.equity_plot.plot(
            [], [], pen=pg.mkPen(SERIES[4], width=1, style=QtCore.Qt.PenStyle.DashLine)
        )
        self.drawdown_curve = self.drawdown_plot.plot(
            [], [], pen=pg.mkPen(FALL, width=1), fillLevel=0.0, brush=pg.mkBrush(_translucent(FALL))
        )
        for curve in (self.equity_curve, self.hold_curve, self.compare_curve, self.drawdown_curve):
            curve.setDownsampling(auto=True, method="peak")
            # One peak bucket (its low and high) per pixel column draws the same 1 px line
            # as pyqtgraph's default five; the drawdown's fill costs per point (4 of 6 ms).
            curve.opts["autoDownsampleFactor"] = 1.0
            curve.setClipToView(True)

        self.trades = TradesTable(self)
        self.tabs = QtWidgets.QTabWidget(self)
        self.tabs.addTab(self.chart, "Chart")
        self.tabs.addTab(self.trades, "Trades")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(stats)
        layout.addWidget(self.note)
        layout.addWidget(self.tabs, 1)

    def clear(self) -> None:
        """Empty every figure, curve, marker and row (and the note)."""
        for label in self.stat_labels.values():
            label.setText("-")
            label.setStyleSheet("")
        for curve in (self.equity_curve, self.hold_curve, self.compare_curve, self.drawdown_curve):
            curve.setData([], [])
        self.compare_curve.opts["name"] = None
        self._clear_candles()
        self.trades.show_trades(None)
        self.set_note("")
        settle(self.chart)

    def set_note(self, text: str) -> None:
        """A line above the tabs saying what the figures are (partial, loading); empty hides it."""
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def show_result(self, result: BacktestResult, *, final: bool = True, timeframe: str = "1m") -> None:
        """Show statistics, candles with markers, curves and trades; ``final=False`` while loading."""
        s = result.statistics
        if s.bars == 0:
            self.clear()
            return
        texts = {
            "Total return": percent(s.total_return),
            "Buy & hold": percent(s.buy_and_hold_return),
            "CAGR": percent(s.cagr),
            "Max drawdown": f"{s.max_drawdown * 100:.2f}%",
            "Sharpe (daily)": f"{s.sharpe:.2f}",
            "Profit factor": ratio(s.profit_factor),
            "Win rate": f"{s.win_rate * 100:.1f}%",
            "Trades": f"{s.trades}",
            "Avg trade": percent(s.average_trade),
            "Avg holding": holding_text(s.average_holding_s),
            "Exposure": f"{s.exposure * 100:.1f}%",
            "Bars": f"{s.bars:,}",
        }
        for name, text in texts.items():
            self.stat_labels[name].setText(text)
        for name, value in (("Total return", s.total_return), ("Buy & hold", s.buy_and_hold_return),
                            ("Avg trade", s.average_trade)):
            self.stat_labels[name].setStyleSheet(f"color: {change_color(value)};")
        x = result.start_ms.astype(np.float64) / 1000.0
        if final:
            self._show_candles(result, x, timeframe)
        else:  # while history loads the curves tell the story; candles and markers come at the end
            self._clear_candles()
        self.equity_curve.setData(x, result.equity)
        self.hold_curve.setData(x, result.buy_and_hold)
        self.drawdown_curve.setData(x, result.drawdown * 100.0)
        # The three plots share the price plot's time axis, and a linked axis takes no
        # auto-range of its own: without candles (while loading) it would stay at 0..1
        # and hide the curves. The run's span is set here instead.
        self.price_plot.setXRange(float(x[0]), float(x[-1]) + timeframe_seconds(timeframe), padding=0.01)
        settle(self.chart)
        self.trades.show_trades(result.trade_table, fit_columns=final)

    def _show_candles(self, result: BacktestResult, x: np.ndarray, timeframe: str) -> None:
        self.candles.set_series(CandleSeries.from_arrays(
            timeframe, x=x, open=result.open, high=result.high, low=result.low, close=result.close,
            volume=np.zeros(len(x)),
        ))
        half_bar = timeframe_seconds(timeframe) / 2.0
        table = result.trade_table
        self.entry_markers.setData(table.entry_ms / 1000.0 + half_bar, table.entry_price)
        closed = ~table.open
        self.exit_markers.setData(table.exit_ms[closed] / 1000.0 + half_bar, table.exit_price[closed])

    def _clear_candles(self) -> None:
        if len(self.candles.series):
            self.candles.set_series(CandleSeries("1m"))
        self.entry_markers.setData([], [])
        self.exit_markers.setData([], [])

    def compare_with(self, other: BacktestResult | None, name: str = "") -> None:
        """Draw another run's equity dashed beside this one (None removes it)."""
        if self.compare_curve.name() and self.legend.getLabel(self.compare_curve) is not None:
            self.legend.removeItem(self.compare_curve)
        if other is None or other.statistics.bars == 0:
            self.compare_curve.setData([], [])
            return
        self.compare_curve.setData(other.start_ms / 1000.0, other.equity)
        self.compare_curve.opts["name"] = name
        self.legend.addItem(self.compare_curve, name)
        settle(self.chart)


def _translucent(colour: str) -> QtGui.QColor:
    shade = QtGui.QColor(colour)
    shade.setAlpha(90)
    return shade
