"""The backtest form: market, timeframe, dates, strategy parameters and fee, validated.

Turns widget values into a ``BacktestSettings`` or a message naming the field
and what is allowed; knows nothing about the backbone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from PyQt6 import QtCore, QtWidgets

from ui.chart.market_search import MarketSearch
from ui.chart.time_axis import KST
from ui.models.backtest.strategies import STRATEGIES, Strategy
from ui.timeframes import CHART_TIMEFRAMES


@dataclass(frozen=True, slots=True)
class BacktestSettings:
    """A validated backtest request. Times are aware (KST midnight boundaries)."""

    market: str
    timeframe: str
    start: datetime
    end: datetime
    strategy: Strategy
    parameters: dict[str, float]
    fee: float  # fraction per trade side


class BacktestForm(QtWidgets.QWidget):
    """The input half of the backtest panel."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.market = MarketSearch(self)
        self.market.setText("KRW-BTC")
        self.timeframe = QtWidgets.QComboBox(self)
        self.timeframe.addItems(CHART_TIMEFRAMES)
        self.timeframe.setCurrentText("15m")
        today = QtCore.QDate.currentDate()
        self.start_date = QtWidgets.QDateEdit(today.addDays(-3), self)
        self.end_date = QtWidgets.QDateEdit(today, self)
        for edit in (self.start_date, self.end_date):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.strategy = QtWidgets.QComboBox(self)
        self.parameter_pages = QtWidgets.QStackedWidget(self)
        self.parameter_boxes: dict[str, dict[str, QtWidgets.QDoubleSpinBox]] = {}
        for strategy in STRATEGIES.values():
            self.strategy.addItem(strategy.name, strategy.key)
            self.parameter_pages.addWidget(self._parameter_page(strategy))
        self.strategy.currentIndexChanged.connect(self.parameter_pages.setCurrentIndex)
        self.fee_percent = QtWidgets.QDoubleSpinBox(self)
        self.fee_percent.setRange(0.0, 5.0)
        self.fee_percent.setDecimals(3)
        self.fee_percent.setSingleStep(0.01)
        self.fee_percent.setValue(0.05)  # Upbit's KRW market fee
        self.fee_percent.setSuffix(" %")

        form = QtWidgets.QFormLayout(self)
        form.addRow("Market", self.market)
        form.addRow("Timeframe", self.timeframe)
        form.addRow("Start (KST)", self.start_date)
        form.addRow("End (KST, inclusive)", self.end_date)
        form.addRow("Strategy", self.strategy)
        form.addRow(self.parameter_pages)
        form.addRow("Fee per trade", self.fee_percent)

    def _parameter_page(self, strategy: Strategy) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget(self)
        layout = QtWidgets.QFormLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        boxes = {}
        for p in strategy.parameters:
            box = QtWidgets.QDoubleSpinBox(page)
            box.setDecimals(0 if p.integer else 2)
            box.setRange(p.minimum, p.maximum)
            box.setValue(p.default)
            box.setObjectName(f"{strategy.key}_{p.name}")
            layout.addRow(p.label, box)
            boxes[p.name] = box
        self.parameter_boxes[strategy.key] = boxes
        return page

    def select_strategy(self, key: str) -> None:
        self.strategy.setCurrentIndex(list(STRATEGIES).index(key))

    def settings(self, now: datetime | None = None) -> BacktestSettings:
        """The validated settings; ValueError with a message naming the bad field."""
        market = self.market.resolve(self.market.text())
        if market is None:
            raise ValueError(
                f"Market: unknown market {self.market.text().strip() or '(empty)'!r}; "
                "enter a listed market such as KRW-BTC."
            )
        start_day = self.start_date.date().toPyDate()
        end_day = self.end_date.date().toPyDate()
        if end_day < start_day:
            raise ValueError(
                f"End date {end_day:%Y-%m-%d} is before the start date {start_day:%Y-%m-%d}; "
                "pick an end on or after the start."
            )
        start = datetime(start_day.year, start_day.month, start_day.day, tzinfo=KST)
        end = datetime(end_day.year, end_day.month, end_day.day, tzinfo=KST) + timedelta(days=1)
        now = now or datetime.now(KST)
        if start >= now:
            raise ValueError(f"Start date {start_day:%Y-%m-%d} is in the future; pick a past date.")
        end = min(end, now)
        strategy = STRATEGIES[self.strategy.currentData()]
        values = {name: box.value() for name, box in self.parameter_boxes[strategy.key].items()}
        parameters = strategy.validate(values)
        return BacktestSettings(
            market, self.timeframe.currentText(), start, end, strategy, parameters,
            self.fee_percent.value() / 100.0,
        )
