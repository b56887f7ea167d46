"""The backtest results: headline statistics, equity against buy-and-hold, the trade list."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtGui, QtWidgets

from ui.chart.time_axis import KST, KstTimeAxis
from ui.colors import SERIES, change_color
from ui.models.backtest.engine import BacktestResult
from ui.models.formatting import format_price

STAT_NAMES = ("Total return", "Buy & hold", "Max drawdown", "Win rate", "Sharpe", "Trades", "Bars")
TRADE_COLUMNS = ("Entry (KST)", "Entry price", "Exit (KST)", "Exit price", "Return %", "State")
MAX_TRADE_ROWS = 2000  # the most recent trades shown; the statistics cover all of them
PARTIAL_TRADE_ROWS = 100  # while history still loads, a short list keeps each refresh cheap


class ResultsView(QtWidgets.QWidget):
    """Shows a ``BacktestResult``; call ``show_result`` as often as it grows."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.stat_labels: dict[str, QtWidgets.QLabel] = {}
        stats = QtWidgets.QGridLayout()
        for i, name in enumerate(STAT_NAMES):
            caption = QtWidgets.QLabel(name, self)
            caption.setObjectName("statCaption")
            value = QtWidgets.QLabel("-", self)
            value.setObjectName("statValue")
            stats.addWidget(caption, 0, i)
            stats.addWidget(value, 1, i)
            self.stat_labels[name] = value
        self.plot = pg.PlotWidget(self, axisItems={"bottom": KstTimeAxis()})
        self.plot.setMenuEnabled(False)
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.plot.setLabel("left", "equity (start = 1)")
        self.plot.addLegend(offset=(5, 5))
        # Thin pens and peak downsampling: months of minutes are 100,000+ points, and a
        # wide pen or an undecimated line would hold the event loop for 100+ ms per redraw.
        self.equity_curve = self.plot.plot([], [], pen=pg.mkPen(SERIES[0], width=1), name="strategy")
        self.hold_curve = self.plot.plot([], [], pen=pg.mkPen(SERIES[1], width=1), name="buy & hold")
        for curve in (self.equity_curve, self.hold_curve):
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
        self.trades = QtWidgets.QTableWidget(0, len(TRADE_COLUMNS), self)
        self.trades.setHorizontalHeaderLabels(TRADE_COLUMNS)
        self.trades.verticalHeader().setVisible(False)
        self.trades.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.trades.horizontalHeader().setStretchLastSection(True)
        split = QtWidgets.QSplitter(self)
        split.addWidget(self.plot)
        split.addWidget(self.trades)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(stats)
        layout.addWidget(split, 1)

    def clear(self) -> None:
        for label in self.stat_labels.values():
            label.setText("-")
        self.equity_curve.setData([], [])
        self.hold_curve.setData([], [])
        self.trades.setRowCount(0)

    def show_result(self, result: BacktestResult, *, final: bool = True) -> None:
        """Show statistics, curves and trades; ``final=False`` for a partial result."""
        s = result.statistics
        if s is None or s.bars == 0:
            self.clear()
            return
        texts = {
            "Total return": f"{s.total_return * 100:+.2f}%",
            "Buy & hold": f"{s.buy_and_hold_return * 100:+.2f}%",
            "Max drawdown": f"{s.max_drawdown * 100:.2f}%",
            "Win rate": f"{s.win_rate * 100:.1f}%",
            "Sharpe": f"{s.sharpe:.2f}",
            "Trades": f"{s.trades}",
            "Bars": f"{s.bars:,}",
        }
        for name, text in texts.items():
            self.stat_labels[name].setText(text)
        for name, value in (("Total return", s.total_return), ("Buy & hold", s.buy_and_hold_return)):
            self.stat_labels[name].setStyleSheet(f"color: {change_color(value)};")
        x = result.start_ms.astype(np.float64) / 1000.0
        self.equity_curve.setData(x, result.equity)
        self.hold_curve.setData(x, result.buy_and_hold)
        self._show_trades(result, MAX_TRADE_ROWS if final else PARTIAL_TRADE_ROWS)

    def _show_trades(self, result: BacktestResult, limit: int) -> None:
        shown = result.trades[-limit:][::-1]  # newest first
        self.trades.setUpdatesEnabled(False)
        self.trades.setRowCount(len(shown))
        for row, t in enumerate(shown):
            cells = (
                _kst(t.entry_ms), format_price(t.entry_price), _kst(t.exit_ms),
                format_price(t.exit_price), f"{t.net_return * 100:+.2f}%", "open" if t.open else "closed",
            )
            for column, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                if column == 4:
                    item.setForeground(QtGui.QBrush(QtGui.QColor(change_color(t.net_return))))
                self.trades.setItem(row, column, item)
        self.trades.setUpdatesEnabled(True)


def _kst(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=KST).strftime("%Y-%m-%d %H:%M")
