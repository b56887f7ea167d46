"""Small widgets the panels share: an inline status/error line and a progress bar."""

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


class ProgressBar(QtWidgets.QProgressBar):
    """A progress bar whose new value is painted with the window's next frame.

    ``QProgressBar.setValue`` repaints at once, and a synchronous repaint flushes
    every pending paint of the window with it: each progress event of a long load
    then redrew the panel's plots inside the loop callback that reported it
    (30 ms and more of frozen window per event on a backtest's results).
    """

    def setValue(self, value: int) -> None:
        if value == self.value():
            return
        self.setUpdatesEnabled(False)  # suppresses the synchronous repaint...
        try:
            super().setValue(value)
        finally:
            self.setUpdatesEnabled(True)  # ...and schedules an ordinary update in its place
