"""The Indicators menu: a check box and an editable period field per indicator."""

from __future__ import annotations

from collections.abc import Iterable

from PyQt6 import QtCore, QtWidgets

from ui.models.chart.studies import (
    DEFAULT_PERIODS,
    LOWER,
    OVERLAYS,
    PERIOD_NAMES,
    TITLES,
    IndicatorSpec,
)


class IndicatorMenu(QtWidgets.QToolButton):
    """A tool button whose menu lists overlays, then lower-pane indicators, each with its periods."""

    changed = QtCore.pyqtSignal(tuple)  # the chosen IndicatorSpecs
    invalid = QtCore.pyqtSignal(str)  # a period field that does not parse, in words

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setText("Indicators")
        self.setObjectName("indicatorMenu")
        self.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QtWidgets.QMenu(self)
        self.checks: dict[str, QtWidgets.QCheckBox] = {}
        self.periods: dict[str, QtWidgets.QLineEdit] = {}
        for heading, kinds in (("Over the candles", OVERLAYS), ("Lower pane", LOWER)):
            menu.addSection(heading)
            for kind in kinds:
                row = QtWidgets.QWidget(menu)
                layout = QtWidgets.QHBoxLayout(row)
                layout.setContentsMargins(8, 2, 8, 2)
                check = QtWidgets.QCheckBox(TITLES[kind], row)
                check.setObjectName(f"indicator_{kind}")
                field = QtWidgets.QLineEdit(",".join(str(p) for p in DEFAULT_PERIODS[kind]), row)
                field.setObjectName(f"periods_{kind}")
                field.setToolTip(", ".join(PERIOD_NAMES[kind]))
                field.setMaximumWidth(80)
                layout.addWidget(check, 1)
                layout.addWidget(field)
                action = QtWidgets.QWidgetAction(menu)
                action.setDefaultWidget(row)
                menu.addAction(action)
                check.toggled.connect(self._emit)
                field.editingFinished.connect(self._emit)
                self.checks[kind] = check
                self.periods[kind] = field
        self.setMenu(menu)

    def chosen(self) -> tuple[IndicatorSpec, ...]:
        """The checked indicators with their periods; a field that does not parse is reported
        and its indicator left out until it is fixed."""
        specs = []
        for kind, check in self.checks.items():
            if not check.isChecked():
                continue
            try:
                specs.append(IndicatorSpec.parse(kind, self.periods[kind].text()))
            except ValueError as error:
                self.invalid.emit(str(error))
        return tuple(specs)

    def set_chosen(self, specs: Iterable[IndicatorSpec]) -> None:
        """Show ``specs`` as chosen (without emitting ``changed``)."""
        by_kind = {spec.kind: spec for spec in specs}
        for kind, check in self.checks.items():
            check.blockSignals(True)
            check.setChecked(kind in by_kind)
            check.blockSignals(False)
            periods = by_kind[kind].periods if kind in by_kind else DEFAULT_PERIODS[kind]
            self.periods[kind].setText(",".join(str(p) for p in periods))

    def _emit(self) -> None:
        self.changed.emit(self.chosen())
