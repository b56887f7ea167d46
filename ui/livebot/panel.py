"""Live-bot monitor (CRITICAL priority): watched markets, a paper-trading signal, latency.

The widget renders; ``LiveBotPresenter`` (ui.presenters.livebot) asks the
backbone for each watched market's ticker every ``interval_s`` at CRITICAL
priority. Each row shows two honest figures: the request latency (in-process)
and the age of the data (now minus the quote's exchange timestamp). The headline
is the backbone's recent CRITICAL figure, the one the status bar and the system
monitor show.
"""

from __future__ import annotations

import asyncio
import math
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PyQt6 import QtCore, QtGui, QtWidgets

from ui.chart.time_axis import KST
from ui.colors import change_color, latency_color
from ui.models.formatting import format_price
from ui.models.livebot import LatencyTracker, PaperPosition, Signal, critical_summary
from ui.panel import ExportRows, export_cell
from ui.presenters.livebot import LiveBotPresenter
from ui.tasks import TaskSet
from ui.widgets import InlineMessage

if TYPE_CHECKING:
    from backbone import MarketDataBackbone

TARGET_MS = 50.0
_CODE = re.compile(r"^[A-Z]{2,5}-[A-Z0-9]{1,15}$")
COLUMNS = ("Market", "Last price", "Short EMA", "Long EMA", "Signal", "P&L (KRW)",
           "Request ms", "Request p95 ms", f"Over {TARGET_MS:.0f} ms", "Data age s", "Channel")
COLUMN_TIPS = {
    "Request ms": "In-process time from asking the backbone to its answer (the latest request)",
    "Request p95 ms": "95th percentile of this market's recent request times",
    "Data age s": "How old the quote is: now minus the exchange's timestamp on it",
}
REQUEST_COLUMN = COLUMNS.index("Request ms")
AGE_COLUMN = COLUMNS.index("Data age s")


class LiveBotPanel(QtWidgets.QWidget):
    """A watchlist polled at CRITICAL priority, with a paper-trading rule and latency colours."""

    polled = QtCore.pyqtSignal()  # after every round of requests
    signal_raised = QtCore.pyqtSignal(object)  # a ui.models.livebot.Signal

    def __init__(
        self,
        backbone: MarketDataBackbone,
        parent: QtWidgets.QWidget | None = None,
        *,
        markets: tuple[str, ...] = ("KRW-BTC",),
        interval_s: float = 1.0,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("liveBotPanel")
        self.presenter = LiveBotPresenter(backbone)
        self.interval_s = interval_s
        self.tasks = TaskSet("livebot", on_error=lambda e: self.message.show_error(f"Live bot error: {e}"))
        self.known_markets: set[str] = set()
        self.positions: dict[str, PaperPosition] = {}
        self.latency: dict[str, LatencyTracker] = {}
        self.channels: dict[str, str] = {}
        self.data_age_ms: dict[str, float] = {}
        self.rounds = 0

        self.entry = QtWidgets.QLineEdit(self)
        self.entry.setPlaceholderText("Add market, e.g. KRW-ETH")
        self.entry.returnPressed.connect(self._add_from_entry)
        add = QtWidgets.QPushButton("Add", self)
        add.clicked.connect(self._add_from_entry)
        remove = QtWidgets.QPushButton("Remove selected", self)
        remove.clicked.connect(self._remove_selected)
        self.message = InlineMessage(self)
        self.summary = QtWidgets.QLabel(critical_summary({}), self)
        self.summary.setObjectName("criticalSummary")
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        for column, name in enumerate(COLUMNS):
            if name in COLUMN_TIPS:
                self.table.horizontalHeaderItem(column).setToolTip(COLUMN_TIPS[name])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.log = QtWidgets.QPlainTextEdit(self)
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(1000)
        self.log.setPlaceholderText("Signals appear here")

        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.entry, 1)
        top.addWidget(add)
        top.addWidget(remove)
        top.addWidget(self.summary)
        split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        split.addWidget(self.log)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(split, 1)
        for market in markets:
            self.add_market(market)

    # -- watchlist ---------------------------------------------------------------------

    @property
    def watchlist(self) -> list[str]:
        return list(self.positions)

    def add_market(self, text: str) -> bool:
        """Watch a market; a clear inline message and False when the entry is not one."""
        code = text.strip().upper()
        if not code:
            self.message.show_error("Enter a market code to watch, e.g. KRW-BTC.")
            return False
        if "-" not in code and self.known_markets and f"KRW-{code}" in self.known_markets:
            code = f"KRW-{code}"
        if not _CODE.match(code) or (self.known_markets and code not in self.known_markets):
            self.message.show_error(
                f"Unknown market {text.strip()!r}: enter a listed market such as KRW-BTC or KRW-ETH."
            )
            return False
        if code in self.positions:
            self.message.show_info(f"{code} is already watched.")
            return False
        self.positions[code] = PaperPosition(code)
        self.latency[code] = LatencyTracker(TARGET_MS)
        row = self.table.rowCount()
        self.table.insertRow(row)
        for column in range(len(COLUMNS)):
            self.table.setItem(row, column, QtWidgets.QTableWidgetItem("-"))
        self.table.item(row, 0).setText(code)
        self.message.clear_message()
        return True

    def remove_market(self, code: str) -> bool:
        if code not in self.positions:
            return False
        row = self.watchlist.index(code)
        del self.positions[code]
        del self.latency[code]
        self.data_age_ms.pop(code, None)
        self.table.removeRow(row)
        return True

    def _add_from_entry(self) -> None:
        if self.add_market(self.entry.text()):
            self.entry.clear()

    def _remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        if not rows:
            self.message.show_error("Select a market in the table to remove it.")
            return
        for row in rows:
            self.remove_market(self.table.item(row, 0).text())

    # -- polling -------------------------------------------------------------------------

    def export_rows(self) -> ExportRows:
        """The watchlist with numbers as numbers (empty while unknown), for File → Export."""
        header = ["market", "last_price", "short_ema", "long_ema", "signal", "pnl_krw", "request_ms",
                  "request_p95_ms", "requests_over_target", "requests", "data_age_s", "channel"]
        rows = []
        for market in self.watchlist:
            p, lat = self.positions[market], self.latency[market]
            age_s = self.data_age_ms.get(market, math.nan) / 1000
            cells = [market, p.last_price, p.short_ema, p.long_ema, p.signal, p.pnl_krw, lat.last,
                     lat.percentile(95), lat.over_target, lat.total, age_s, self.channels.get(market)]
            rows.append([export_cell(cell) for cell in cells])
        return header, rows

    def is_ready(self) -> bool:
        """True once latencies have been measured."""
        return self.rounds > 1

    def start(self) -> None:
        self.tasks.start(self._run(), "poll")

    async def stop(self) -> None:
        await self.tasks.wait_cancelled()
        self.presenter.stop_watching()

    def closeEvent(self, event: Any) -> None:
        self.tasks.cancel_all()
        self.presenter.stop_watching()
        super().closeEvent(event)

    async def poll_once(self) -> None:
        """One CRITICAL request per watched market, concurrently."""
        markets = self.watchlist
        await asyncio.gather(*(self._poll(m) for m in markets))
        self.rounds += 1
        self._update_summary()
        self.polled.emit()

    async def _run(self) -> None:
        self.known_markets = await self.presenter.markets()
        await self.presenter.start_watching()
        loop = asyncio.get_running_loop()
        try:
            while True:
                began = loop.time()
                await self.poll_once()
                await asyncio.sleep(max(0.05, self.interval_s - (loop.time() - began)))
        finally:
            self.presenter.stop_watching()

    async def _poll(self, market: str) -> None:
        quote = await self.presenter.quote(market)
        position = self.positions.get(market)
        if position is None:  # removed while the request was in flight
            return
        self.latency[market].add(quote.request_ms)
        self.channels[market] = quote.channel
        if quote.error is not None:
            self.message.show_error(f"{market}: {quote.error}")
            self._render_row(market)
            return
        self.data_age_ms[market] = quote.data_age_ms
        signal = position.on_price(quote.price, quote.trade_ms)
        if signal is not None:
            self._log_signal(signal)
        self._render_row(market)

    # -- display ---------------------------------------------------------------------------

    def _render_row(self, market: str) -> None:
        row = self.watchlist.index(market)
        p = self.positions[market]
        lat = self.latency[market]
        cells = (
            market, format_price(p.last_price), format_price(p.short_ema), format_price(p.long_ema),
            p.signal, f"{p.pnl_krw:+,.0f}", f"{lat.last:.1f}", f"{lat.percentile(95):.1f}",
            f"{lat.over_target}/{lat.total}", _seconds(self.data_age_ms.get(market, math.nan)),
            self.channels.get(market, "-"),
        )
        for column, text in enumerate(cells):
            self.table.item(row, column).setText(text)
        self.table.item(row, 5).setForeground(QtGui.QBrush(QtGui.QColor(change_color(p.pnl_krw))))
        for column, value in ((6, lat.last), (7, lat.percentile(95))):
            if not math.isnan(value):
                self.table.item(row, column).setForeground(
                    QtGui.QBrush(QtGui.QColor(latency_color(value, TARGET_MS)))
                )

    def _update_summary(self) -> None:
        self.summary.setText(self.presenter.summary())

    def _log_signal(self, signal: Signal) -> None:
        when = datetime.now(KST).strftime("%H:%M:%S")
        extra = f"  realised {signal.pnl_krw:+,.0f} KRW" if signal.action == "SELL" else ""
        self.log.appendPlainText(f"{when}  {signal.market}  {signal.action} at {format_price(signal.price)}{extra}")
        self.signal_raised.emit(signal)


def _seconds(ms: float) -> str:
    return "-" if math.isnan(ms) else f"{ms / 1000:.1f}"
