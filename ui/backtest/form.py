"""The backtest form: market, timeframe, dates, strategy parameters and fee.

Hands its widget values to ``make_settings`` (ui.models.backtest.settings), which
validates them into a ``BacktestSettings`` or a message naming the field and what
is allowed; knows nothing about the backbone.
"""

from __future__ import annotations

from datetime import datetime

from PyQt6 import QtCore, QtWidgets

from ui.chart.market_search import MarketSearch
from ui.models.backtest.settings import BacktestSettings, make_settings
from ui.models.backtest.strategies import STRATEGIES, Strategy
from ui.timeframes import CHART_TIMEFRAMES

ParameterBox = QtWidgets.QDoubleSpinBox | QtWidgets.QComboBox


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
        self.parameter_boxes: dict[str, dict[str, ParameterBox]] = {}
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
        boxes: dict[str, ParameterBox] = {}
        for p in strategy.parameters:
            box: ParameterBox
            if p.choices:
                box = QtWidgets.QComboBox(page)
                box.addItems(p.choices)
                box.setCurrentIndex(int(p.default))
            else:
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

    def values(self) -> dict[str, float]:
        """The chosen strategy's parameter values as entered (a choice as its index)."""
        boxes = self.parameter_boxes[self.strategy.currentData()]
        return {
            name: float(box.currentIndex()) if isinstance(box, QtWidgets.QComboBox) else box.value()
            for name, box in boxes.items()
        }

    def settings(self, now: datetime | None = None) -> BacktestSettings:
        """The validated settings; ValueError with a message naming the bad field."""
        return make_settings(
            self.market.resolve(self.market.text()), self.market.text(), self.timeframe.currentText(),
            self.start_date.date().toPyDate(), self.end_date.date().toPyDate(), self.strategy.currentData(),
            self.values(), self.fee_percent.value(), now,
        )
