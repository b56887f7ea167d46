"""Small widgets the panels share: an inline status/error line."""

from __future__ import annotations

from PyQt6 import QtWidgets

from ui.colors import ERROR_TEXT, INFO_TEXT


class InlineMessage(QtWidgets.QLabel):
    """A one-line message under a form: red for errors, grey for information, hidden when empty."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inlineMessage")
        self.setWordWrap(True)
        self.is_error = False
        self.hide()

    def show_error(self, text: str) -> None:
        self.is_error = True
        self.setStyleSheet(f"color: {ERROR_TEXT};")
        self.setText(text)
        self.show()

    def show_info(self, text: str) -> None:
        self.is_error = False
        self.setStyleSheet(f"color: {INFO_TEXT};")
        self.setText(text)
        self.show()

    def clear_message(self) -> None:
        self.is_error = False
        self.clear()
        self.hide()


def format_price(value: float) -> str:
    """Prices the way Upbit shows them: thousands separators, decimals only for small prices."""
    if value != value:  # nan
        return "-"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}" if float(value).is_integer() or magnitude >= 1000 else f"{value:,.1f}"
    if magnitude >= 1:
        return f"{value:,.2f}"
    if magnitude == 0:
        return "0"
    return f"{value:.8f}".rstrip("0").rstrip(".")


def format_amount(value: float) -> str:
    """Large amounts compactly with K/M/B/T suffixes (e.g. 12.34B)."""
    magnitude = abs(value)
    if magnitude >= 1e12:
        return f"{value / 1e12:,.2f}T"
    if magnitude >= 1e9:
        return f"{value / 1e9:,.2f}B"
    if magnitude >= 1e6:
        return f"{value / 1e6:,.2f}M"
    if magnitude >= 1e3:
        return f"{value / 1e3:,.1f}K"
    return f"{value:,.2f}"
