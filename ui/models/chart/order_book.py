"""The order book and recent trades beside the chart (Upbit's 호가 and 체결), as rows to show (no Qt)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ui.models.formatting import KST

BOOK_DEPTH = 15  # levels each side
TAPE_LENGTH = 50  # recent trades kept


@dataclass(frozen=True, slots=True)
class BookLevel:
    """One price level: its size and the size as a share of the largest shown (the bar's length)."""

    price: float
    size: float
    share: float


@dataclass(frozen=True, slots=True)
class BookView:
    """What the order book shows: asks from the highest down to the best, then bids from the
    best down; the spread and the totals of each side."""

    asks: tuple[BookLevel, ...]  # highest first, best (lowest) ask last
    bids: tuple[BookLevel, ...]  # best (highest) bid first
    spread: float
    spread_percent: float
    total_ask: float
    total_bid: float

    @property
    def levels(self) -> tuple[BookLevel, ...]:
        """Every row top to bottom: asks then bids."""
        return self.asks + self.bids


def book_view(orderbook: Mapping[str, Any], depth: int = BOOK_DEPTH) -> BookView:
    """An Upbit order book dict (``orderbook_units`` best first) as rows to show."""
    units = list(orderbook.get("orderbook_units") or [])[:depth]
    asks = [(float(u["ask_price"]), float(u["ask_size"])) for u in units]
    bids = [(float(u["bid_price"]), float(u["bid_size"])) for u in units]
    largest = max((size for _, size in asks + bids), default=0.0) or 1.0
    best_ask = asks[0][0] if asks else float("nan")
    best_bid = bids[0][0] if bids else float("nan")
    spread = best_ask - best_bid
    return BookView(
        asks=tuple(BookLevel(p, s, s / largest) for p, s in reversed(asks)),
        bids=tuple(BookLevel(p, s, s / largest) for p, s in bids),
        spread=spread,
        spread_percent=spread / best_bid * 100 if best_bid else float("nan"),
        total_ask=float(orderbook.get("total_ask_size") or sum(s for _, s in asks)),
        total_bid=float(orderbook.get("total_bid_size") or sum(s for _, s in bids)),
    )


@dataclass(frozen=True, slots=True)
class TapeRow:
    """One recent trade as shown: time in KST, price, size and whether a buyer or a seller took it."""

    time_kst: str
    price: float
    size: float
    buy: bool  # the taker bought (Upbit's ask_bid "BID")
    trade_id: int


class TradeTape:
    """The most recent trades of one market, newest first, each once (whatever order they arrive in)."""

    def __init__(self, length: int = TAPE_LENGTH) -> None:
        self.length = length
        self._rows: list[tuple[int, int, TapeRow]] = []  # (time ms, id, row), newest first

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, trades: Iterable[Mapping[str, Any]]) -> int:
        """Add Upbit trade dicts; returns how many were new."""
        held = {trade_id for _, trade_id, _ in self._rows}
        fresh = []
        for trade in trades:
            trade_id = int(trade["sequential_id"])
            if trade_id in held:
                continue
            held.add(trade_id)
            when = int(trade["timestamp"])
            row = TapeRow(
                datetime.fromtimestamp(when / 1000, tz=KST).strftime("%H:%M:%S"),
                float(trade["trade_price"]),
                float(trade["trade_volume"]),
                trade.get("ask_bid") == "BID",
                trade_id,
            )
            fresh.append((when, trade_id, row))
        if fresh:
            self._rows = sorted(self._rows + fresh, key=lambda item: item[:2], reverse=True)[: self.length]
        return len(fresh)

    def rows(self) -> list[TapeRow]:
        """Newest first."""
        return [row for _, _, row in self._rows]

    def clear(self) -> None:
        self._rows.clear()
