"""The markets a trader starred, shared by every list and remembered between runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

FAVOURITES_KEY = "markets/favourites"


class SettingsStore(Protocol):
    """The part of ``QSettings`` favourites use; a plain dict-backed store works in tests too."""

    def value(self, key: str, defaultValue: Any = None) -> Any: ...
    def setValue(self, key: str, value: Any) -> None: ...


class Favourites:
    """A set of market codes, saved to ``store`` on every change (when there is a store)."""

    def __init__(self, store: SettingsStore | None = None, key: str = FAVOURITES_KEY) -> None:
        self._store = store
        self._key = key
        self._markets: set[str] = set()
        self._listeners: list[Callable[[str], None]] = []
        if store is not None:
            saved = store.value(key, "")
            # Saved as one comma-separated string: QSettings' INI lists come back as a
            # plain string when they hold one item.
            text = ",".join(saved) if isinstance(saved, list) else str(saved or "")
            self._markets = {code for code in text.split(",") if code}

    def __contains__(self, market: object) -> bool:
        return market in self._markets

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._markets))

    def __len__(self) -> int:
        return len(self._markets)

    def on_change(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(market)`` whenever a market is starred or unstarred."""
        self._listeners.append(listener)

    def toggle(self, market: str) -> bool:
        """Star ``market`` if it is not, unstar it if it is; returns whether it is starred now."""
        starred = market not in self._markets
        if starred:
            self._markets.add(market)
        else:
            self._markets.discard(market)
        if self._store is not None:
            self._store.setValue(self._key, ",".join(sorted(self._markets)))
        for listener in self._listeners:
            listener(market)
        return starred
