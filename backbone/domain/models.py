"""Typed market data records, parsed from Upbit's JSON and turned back into Upbit-named dicts.

Times are aware UTC datetimes plus epoch milliseconds; KST appears only in the
``*_kst`` fields Upbit itself sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from backbone.domain.clock import KST, format_upbit_naive, ms_to_utc, parse_upbit_naive, utc_to_ms
from backbone.domain.timeframes import Timeframe

UpbitDict = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Market:
    """A tradable pair as listed by ``/market/all``."""

    market: str
    korean_name: str
    english_name: str
    warning: bool = False
    caution: Mapping[str, bool] | None = None

    @property
    def quote(self) -> str:
        """The quote currency, e.g. ``KRW`` for ``KRW-BTC``."""
        return self.market.split("-", 1)[0]

    @property
    def base(self) -> str:
        """The traded asset, e.g. ``BTC`` for ``KRW-BTC``."""
        return self.market.split("-", 1)[1]

    @classmethod
    def from_upbit(cls, raw: Mapping[str, Any]) -> Market:
        event = raw.get("market_event") or {}
        return cls(
            market=raw["market"],
            korean_name=raw["korean_name"],
            english_name=raw["english_name"],
            warning=bool(event.get("warning", False)),
            caution=dict(event["caution"]) if "caution" in event else None,
        )

    def to_upbit(self, details: bool = False) -> UpbitDict:
        out: UpbitDict = {
            "market": self.market,
            "korean_name": self.korean_name,
            "english_name": self.english_name,
        }
        if details:
            out["market_event"] = {"warning": self.warning, "caution": dict(self.caution or {})}
        return out


# Upbit's names for a candle's values, in the order Upbit writes them, and ours.
UPBIT_CANDLE_VALUES: tuple[tuple[str, str], ...] = (
    ("opening_price", "open"),
    ("high_price", "high"),
    ("low_price", "low"),
    ("trade_price", "close"),
    ("timestamp", "last_trade_ms"),
    ("candle_acc_trade_price", "value"),
    ("candle_acc_trade_volume", "volume"),
)


@dataclass(frozen=True, slots=True)
class Candle:
    """One OHLCV candle keyed by (market, timeframe, start)."""

    market: str
    timeframe: Timeframe
    start: datetime  # aware UTC, aligned to the timeframe
    open: float
    high: float
    low: float
    close: float
    last_trade_ms: int  # Upbit's ``timestamp``: the candle's last trade
    value: float  # candle_acc_trade_price
    volume: float  # candle_acc_trade_volume
    filled: bool = False  # True when synthesised to fill a minute without trades
    prev_closing_price: float | None = None  # day candles only
    change_price: float | None = None
    change_rate: float | None = None

    @property
    def start_ms(self) -> int:
        return utc_to_ms(self.start)

    @classmethod
    def from_upbit(cls, raw: Mapping[str, Any], timeframe: Timeframe) -> Candle:
        return cls(
            market=raw.get("market") or raw["code"],  # WebSocket messages say ``code``
            timeframe=timeframe,
            start=parse_upbit_naive(raw["candle_date_time_utc"]),
            open=float(raw["opening_price"]),
            high=float(raw["high_price"]),
            low=float(raw["low_price"]),
            close=float(raw["trade_price"]),
            last_trade_ms=int(raw["timestamp"]),
            value=float(raw["candle_acc_trade_price"]),
            volume=float(raw["candle_acc_trade_volume"]),
            prev_closing_price=_opt_float(raw.get("prev_closing_price")),
            change_price=_opt_float(raw.get("change_price")),
            change_rate=_opt_float(raw.get("change_rate")),
        )

    def to_upbit(self) -> UpbitDict:
        out: UpbitDict = {
            "market": self.market,
            "candle_date_time_utc": format_upbit_naive(self.start),
            "candle_date_time_kst": format_upbit_naive(self.start, KST),
        }
        for upbit_name, name in UPBIT_CANDLE_VALUES:
            out[upbit_name] = getattr(self, name)
        if self.timeframe.minute_unit is not None:
            out["unit"] = self.timeframe.minute_unit
        if self.timeframe.code == "1d":
            for key in ("prev_closing_price", "change_price", "change_rate"):
                value = getattr(self, key)
                if value is not None:
                    out[key] = value
        if self.timeframe.code in ("1w", "1M", "1y"):
            out["first_day_of_period"] = self.start.strftime("%Y-%m-%d")
        if self.filled:
            out["filled"] = True
        return out


@dataclass(frozen=True, slots=True)
class Ticker:
    """The current state of one market as ``/ticker`` reports it."""

    market: str
    trade_price: float
    opening_price: float
    high_price: float
    low_price: float
    prev_closing_price: float
    change: str  # RISE, EVEN, FALL
    change_price: float
    change_rate: float
    signed_change_price: float
    signed_change_rate: float
    trade_volume: float
    acc_trade_price: float
    acc_trade_price_24h: float
    acc_trade_volume: float
    acc_trade_volume_24h: float
    highest_52_week_price: float
    highest_52_week_date: str
    lowest_52_week_price: float
    lowest_52_week_date: str
    trade_timestamp: int
    timestamp: int

    @property
    def trade_time(self) -> datetime:
        return ms_to_utc(self.trade_timestamp)

    @classmethod
    def from_upbit(cls, raw: Mapping[str, Any]) -> Ticker:
        market = raw.get("market") or raw["code"]  # WebSocket messages say ``code``
        kwargs: dict[str, Any] = {"market": market}
        for name in cls.__dataclass_fields__:
            if name == "market":
                continue
            value = raw[name]
            kwargs[name] = value if name in _STRING_FIELDS else _number(name, value)
        return cls(**kwargs)

    def to_upbit(self) -> UpbitDict:
        trade = self.trade_time
        out: UpbitDict = {
            "market": self.market,
            "trade_date": trade.strftime("%Y%m%d"),
            "trade_time": trade.strftime("%H%M%S"),
            "trade_date_kst": trade.astimezone(KST).strftime("%Y%m%d"),
            "trade_time_kst": trade.astimezone(KST).strftime("%H%M%S"),
        }
        for name in self.__dataclass_fields__:
            if name != "market":
                out[name] = getattr(self, name)
        return out


_STRING_FIELDS = {"change", "highest_52_week_date", "lowest_52_week_date"}
_INT_FIELDS = {"trade_timestamp", "timestamp", "sequential_id"}


@dataclass(frozen=True, slots=True)
class OrderbookUnit:
    """One price level: best ask and best bid at this depth."""

    ask_price: float
    bid_price: float
    ask_size: float
    bid_size: float


@dataclass(frozen=True, slots=True)
class Orderbook:
    """A market's order book, best levels first."""

    market: str
    timestamp: int
    total_ask_size: float
    total_bid_size: float
    units: tuple[OrderbookUnit, ...]
    level: float = 0

    @property
    def time(self) -> datetime:
        return ms_to_utc(self.timestamp)

    @classmethod
    def from_upbit(cls, raw: Mapping[str, Any]) -> Orderbook:
        return cls(
            market=raw.get("market") or raw["code"],
            timestamp=int(raw["timestamp"]),
            total_ask_size=float(raw["total_ask_size"]),
            total_bid_size=float(raw["total_bid_size"]),
            units=tuple(
                OrderbookUnit(
                    float(u["ask_price"]), float(u["bid_price"]), float(u["ask_size"]), float(u["bid_size"])
                )
                for u in raw["orderbook_units"]
            ),
            level=raw.get("level", 0) or 0,
        )

    def to_upbit(self) -> UpbitDict:
        return {
            "market": self.market,
            "timestamp": self.timestamp,
            "total_ask_size": self.total_ask_size,
            "total_bid_size": self.total_bid_size,
            "orderbook_units": [
                {"ask_price": u.ask_price, "bid_price": u.bid_price, "ask_size": u.ask_size, "bid_size": u.bid_size}
                for u in self.units
            ],
            "level": self.level,
        }


@dataclass(frozen=True, slots=True)
class Trade:
    """One executed trade; ``sequential_id`` is unique but not an ordering key."""

    market: str
    timestamp: int
    trade_price: float
    trade_volume: float
    prev_closing_price: float
    change_price: float
    ask_bid: str  # ASK or BID
    sequential_id: int
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def time(self) -> datetime:
        return ms_to_utc(self.timestamp)

    @classmethod
    def from_upbit(cls, raw: Mapping[str, Any]) -> Trade:
        # A WebSocket trade carries its own time in trade_timestamp; its timestamp is the
        # message's. A REST trade has only timestamp, the trade's time.
        timestamp = raw.get("trade_timestamp", raw.get("timestamp"))
        return cls(
            market=raw.get("market") or raw["code"],
            timestamp=int(timestamp),
            trade_price=float(raw["trade_price"]),
            trade_volume=float(raw["trade_volume"]),
            prev_closing_price=float(raw["prev_closing_price"]),
            change_price=float(raw["change_price"]),
            ask_bid=str(raw["ask_bid"]),
            sequential_id=int(raw["sequential_id"]),
        )

    def to_upbit(self) -> UpbitDict:
        when = self.time
        return {
            "market": self.market,
            "trade_date_utc": when.strftime("%Y-%m-%d"),
            "trade_time_utc": when.strftime("%H:%M:%S"),
            "timestamp": self.timestamp,
            "trade_price": self.trade_price,
            "trade_volume": self.trade_volume,
            "prev_closing_price": self.prev_closing_price,
            "change_price": self.change_price,
            "ask_bid": self.ask_bid,
            "sequential_id": self.sequential_id,
        }


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _number(name: str, value: Any) -> float | int:
    return int(value) if name in _INT_FIELDS else float(value)


def utc_now() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)
