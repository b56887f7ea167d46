"""The market search box: a line edit with a completer over codes and Korean/English names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PyQt6 import QtCore, QtWidgets


class MarketSearch(QtWidgets.QLineEdit):
    """Type ``BTC``, ``비트코인`` or ``KRW-BTC``; Enter emits ``market_chosen`` or ``invalid``."""

    market_chosen = QtCore.pyqtSignal(str)
    invalid = QtCore.pyqtSignal(str)  # a message naming what is allowed

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("marketSearch")
        self.setPlaceholderText("Search market: KRW-BTC, BTC, 비트코인…")
        self.setClearButtonEnabled(True)
        self._codes: set[str] = set()
        self._by_name: dict[str, str] = {}
        self._model = QtCore.QStringListModel(self)
        completer = QtWidgets.QCompleter(self._model, self)
        completer.setCaseSensitivity(QtCore.Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(QtCore.Qt.MatchFlag.MatchContains)
        completer.setMaxVisibleItems(15)
        completer.activated.connect(self._choose)
        self.setCompleter(completer)
        self.returnPressed.connect(lambda: self._choose(self.text()))

    @property
    def markets(self) -> set[str]:
        return set(self._codes)

    def set_markets(self, markets: Sequence[Mapping[str, Any]]) -> None:
        """Fill the completer from ``list_markets()`` dicts."""
        entries = []
        self._codes = set()
        self._by_name = {}
        for m in markets:
            code = str(m["market"])
            self._codes.add(code)
            for name in (m.get("korean_name"), m.get("english_name")):
                if name:
                    self._by_name.setdefault(str(name).casefold(), code)
            entries.append(f"{code}  {m.get('korean_name', '')}  {m.get('english_name', '')}".rstrip())
        self._model.setStringList(sorted(entries))

    def resolve(self, text: str) -> str | None:
        """The market code meant by ``text`` (code, base symbol for KRW, or a name), else None."""
        token = text.strip().split("  ")[0].strip()
        if not token:
            return None
        upper = token.upper()
        if upper in self._codes or (not self._codes and "-" in upper):
            return upper
        if f"KRW-{upper}" in self._codes:
            return f"KRW-{upper}"
        return self._by_name.get(token.casefold())

    def _choose(self, text: str) -> None:
        code = self.resolve(text)
        if code is None:
            shown = text.strip() or "(empty)"
            self.invalid.emit(
                f"Unknown market {shown!r}: type a listed market such as KRW-BTC, "
                f"its symbol (BTC) or its name (비트코인)."
            )
            return
        self.setText(code)
        self.market_chosen.emit(code)
