"""The rows the Markets and Screener tabs show: one per market, updated in place from tickers.

Qt-free: the table models in ``ui.market_table`` render these rows and follow their
events; the presenter in ``ui.presenters.market_list`` fills them from the backbone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from ui.models.favourites import Favourites
from ui.panel import export_cell

QUOTES = ("KRW", "BTC", "USDT")
"""Quote currencies in the order Upbit shows them; other quotes sort after these."""

WARNING_LABEL = "Investment warning"
CAUTION_LABELS = {
    "PRICE_FLUCTUATIONS": "Price swings",
    "TRADING_VOLUME_SOARING": "Volume surge",
    "DEPOSIT_AMOUNT_SOARING": "Deposit surge",
    "GLOBAL_PRICE_DIFFERENCES": "Global price gap",
    "CONCENTRATION_OF_SMALL_ACCOUNTS": "Few accounts hold most",
}
"""Upbit's caution codes (``market_event.caution``) in a trader's words."""


def warning_text(market_event: Mapping[str, Any] | None) -> str:
    """What the Warning column says for a ``market_event``: empty when nothing is flagged."""
    if not market_event:
        return ""
    labels = [WARNING_LABEL] if market_event.get("warning") else []
    caution = market_event.get("caution") or {}
    labels += [CAUTION_LABELS.get(code, code.replace("_", " ").capitalize()) for code, on in caution.items() if on]
    return ", ".join(labels)


def quote_rank(quote: str) -> int:
    """Position of a quote currency in :data:`QUOTES` (unknown quotes last)."""
    return QUOTES.index(quote) if quote in QUOTES else len(QUOTES)


@dataclass(slots=True)
class MarketRow:
    """What one row shows; figures are NaN until the first ticker arrives."""

    market: str
    korean_name: str = ""
    english_name: str = ""
    warning: str = ""
    price: float = math.nan
    change_pct: float = math.nan
    high: float = math.nan
    low: float = math.nan
    value_24h: float = math.nan
    volume_24h: float = math.nan
    from_high_pct: float = math.nan

    @property
    def quote(self) -> str:
        """The quote currency: KRW for ``KRW-BTC``."""
        return self.market.split("-", 1)[0]

    @property
    def order_key(self) -> str:
        """Sorts KRW markets first, then BTC, then USDT, each by code."""
        return f"{quote_rank(self.quote)}:{self.market}"


class Kind(StrEnum):
    """How a column's value is drawn and exported."""

    STAR = "star"
    TEXT = "text"
    PRICE = "price"
    PERCENT = "percent"
    AMOUNT = "amount"


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a market table: its header, the row field it shows, and how."""

    title: str
    field: str
    kind: Kind
    tooltip: str = ""
    export_title: str = ""

    @property
    def numeric(self) -> bool:
        """True for figures (right-aligned, exported as numbers)."""
        return self.kind in (Kind.PRICE, Kind.PERCENT, Kind.AMOUNT)


STAR = Column("★", "market", Kind.STAR, "Click to star or unstar a market", "favourite")
MARKET = Column("Market", "market", Kind.TEXT, export_title="market")
PRICE = Column("Price", "price", Kind.PRICE, export_title="price")
CHANGE = Column("Change %", "change_pct", Kind.PERCENT, "Change since 09:00 KST", "change_pct")

MARKETS_COLUMNS = (
    STAR,
    MARKET,
    Column("Korean name", "korean_name", Kind.TEXT, export_title="korean_name"),
    Column("English name", "english_name", Kind.TEXT, export_title="english_name"),
    PRICE,
    CHANGE,
    Column("Warning", "warning", Kind.TEXT, "Upbit's investment warning and caution flags", "warning"),
)
VALUE_24H = Column("24h value", "value_24h", Kind.AMOUNT, "Traded value over the last 24 hours", "value_24h")
SCREENER_COLUMNS = (
    STAR,
    MARKET,
    Column("Name", "korean_name", Kind.TEXT, export_title="korean_name"),
    PRICE,
    CHANGE,
    Column("Day high", "high", Kind.PRICE, "Highest price since 09:00 KST (Upbit's day)", "day_high"),
    Column("Day low", "low", Kind.PRICE, "Lowest price since 09:00 KST (Upbit's day)", "day_low"),
    VALUE_24H,
    Column("24h volume", "volume_24h", Kind.AMOUNT, "Traded volume over the last 24 hours", "volume_24h"),
    Column("From 52w high %", "from_high_pct", Kind.PERCENT, "Price against the 52-week high", "from_52w_high_pct"),
)


class RowEvents(Protocol):
    """What a view of :class:`MarketRows` hears: before and after new rows, and which rows changed."""

    def rows_inserting(self, first: int, last: int) -> None: ...
    def rows_inserted(self) -> None: ...
    def rows_changed(self, changed: Sequence[int]) -> None: ...


@dataclass(slots=True)
class MarketRows:
    """Every listed market, in arrival order; rows are never removed or reordered.

    Keeping row positions stable is what lets a sort proxy and the user's selection
    survive every refresh: changes are announced as spans, never as a reset.
    """

    rows: list[MarketRow] = field(default_factory=list)
    _index: dict[str, int] = field(default_factory=dict)
    _views: list[RowEvents] = field(default_factory=list)

    def watch(self, view: RowEvents) -> None:
        """Tell ``view`` about every insertion and change from now on."""
        self._views.append(view)

    def __len__(self) -> int:
        return len(self.rows)

    def row_of(self, market: str) -> int | None:
        """The row of ``market``, or None when it is not listed."""
        return self._index.get(market)

    def markets(self, quote: str | None = None) -> list[str]:
        """Market codes, of one quote currency or all."""
        return [r.market for r in self.rows if quote is None or r.quote == quote]

    def add_markets(self, listing: Iterable[Mapping[str, Any]]) -> int:
        """Add markets from ``list_markets`` dicts; known markets keep their row. Returns rows added."""
        fresh = [m for m in listing if m["market"] not in self._index]
        if not fresh:
            return 0
        first = len(self.rows)
        for view in self._views:
            view.rows_inserting(first, first + len(fresh) - 1)
        for m in fresh:
            self._index[m["market"]] = len(self.rows)
            self.rows.append(
                MarketRow(
                    m["market"],
                    str(m.get("korean_name", "")),
                    str(m.get("english_name", "")),
                    warning_text(m.get("market_event")),
                )
            )
        for view in self._views:
            view.rows_inserted()
        return len(fresh)

    def update_tickers(self, tickers: Iterable[Mapping[str, Any]]) -> int:
        """Fold ticker dicts into their rows and announce the changed span. Returns rows changed."""
        tickers = list(tickers)
        self.add_markets([{"market": t["market"]} for t in tickers if t["market"] not in self._index])
        changed: list[int] = []
        for ticker in tickers:
            i = self._index[ticker["market"]]
            if _apply_ticker(self.rows[i], ticker):
                changed.append(i)
        if changed:
            for view in self._views:
                view.rows_changed(changed)
        return len(changed)


def _apply_ticker(row: MarketRow, ticker: Mapping[str, Any]) -> bool:
    price = float(ticker["trade_price"])
    high52 = float(ticker.get("highest_52_week_price") or 0.0)
    new = (
        price,
        float(ticker.get("signed_change_rate", 0.0)) * 100.0,
        float(ticker.get("high_price", math.nan)),
        float(ticker.get("low_price", math.nan)),
        float(ticker.get("acc_trade_price_24h", math.nan)),
        float(ticker.get("acc_trade_volume_24h", math.nan)),
        (price / high52 - 1.0) * 100.0 if high52 > 0 else math.nan,
    )
    old = (row.price, row.change_pct, row.high, row.low, row.value_24h, row.volume_24h, row.from_high_pct)
    if new == old:
        return False
    row.price, row.change_pct, row.high, row.low, row.value_24h, row.volume_24h, row.from_high_pct = new
    return True


FAVOURITES_TAB = "★ Favourites"
ALL_TAB = "All"


@dataclass(frozen=True, slots=True)
class RowFilter:
    """Which rows a table shows: one quote tab (or all, or favourites) and a search text."""

    tab: str = ALL_TAB
    text: str = ""

    def accepts(self, row: MarketRow, favourites: Favourites) -> bool:
        """Whether ``row`` belongs to the tab and contains the text in its code or either name."""
        if self.tab == FAVOURITES_TAB:
            if row.market not in favourites:
                return False
        elif self.tab != ALL_TAB and row.quote != self.tab:
            return False
        needle = self.text.strip().casefold()
        if not needle:
            return True
        return any(needle in text.casefold() for text in (row.market, row.korean_name, row.english_name))


def cell_value(row: MarketRow, column: Column, favourites: Favourites) -> Any:
    """The raw value of one cell: a number, a name, or whether the market is starred."""
    if column.kind is Kind.STAR:
        return row.market in favourites
    return getattr(row, column.field)


def sort_value(row: MarketRow, column: Column, favourites: Favourites) -> Any:
    """What a column sorts on: numbers as numbers (missing ones last), markets KRW first."""
    if column is MARKET:
        return row.order_key
    value = cell_value(row, column, favourites)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and math.isnan(value):
        return -math.inf
    return value


def export_table(
    rows: Sequence[MarketRow], columns: Sequence[Column], favourites: Favourites
) -> tuple[list[str], list[list[Any]]]:
    """Rows for a CSV file: numbers as numbers (empty when unknown), a favourite as true/false."""
    header = [c.export_title or c.title for c in columns]
    return header, [[export_cell(cell_value(row, column, favourites)) for column in columns] for row in rows]
