"""WebSocket message shapes: Upbit's DEFAULT field names and their SIMPLE abbreviations."""

from __future__ import annotations

from typing import Any

Message = dict[str, Any]

TICKER_SIMPLE = {
    "type": "ty",
    "code": "cd",
    "opening_price": "op",
    "high_price": "hp",
    "low_price": "lp",
    "trade_price": "tp",
    "prev_closing_price": "pcp",
    "change": "c",
    "change_price": "cp",
    "signed_change_price": "scp",
    "change_rate": "cr",
    "signed_change_rate": "scr",
    "trade_volume": "tv",
    "acc_trade_volume": "atv",
    "acc_trade_volume_24h": "atv24h",
    "acc_trade_price": "atp",
    "acc_trade_price_24h": "atp24h",
    "trade_date": "tdt",
    "trade_time": "ttm",
    "trade_timestamp": "ttms",
    "ask_bid": "ab",
    "acc_ask_volume": "aav",
    "acc_bid_volume": "abv",
    "highest_52_week_price": "h52wp",
    "highest_52_week_date": "h52wdt",
    "lowest_52_week_price": "l52wp",
    "lowest_52_week_date": "l52wdt",
    "market_state": "ms",
    "is_trading_suspended": "its",
    "delisting_date": "dd",
    "market_warning": "mw",
    "timestamp": "tms",
    "stream_type": "st",
}
TRADE_SIMPLE = {
    "type": "ty",
    "code": "cd",
    "trade_price": "tp",
    "trade_volume": "tv",
    "ask_bid": "ab",
    "prev_closing_price": "pcp",
    "change": "c",
    "change_price": "cp",
    "trade_date": "td",
    "trade_time": "ttm",
    "trade_timestamp": "ttms",
    "timestamp": "tms",
    "sequential_id": "sid",
    "best_ask_price": "bap",
    "best_ask_size": "bas",
    "best_bid_price": "bbp",
    "best_bid_size": "bbs",
    "stream_type": "st",
}
ORDERBOOK_SIMPLE = {
    "type": "ty",
    "code": "cd",
    "total_ask_size": "tas",
    "total_bid_size": "tbs",
    "orderbook_units": "obu",
    "timestamp": "tms",
    "level": "lv",
    "stream_type": "st",
}
ORDERBOOK_UNIT_SIMPLE = {"ask_price": "ap", "bid_price": "bp", "ask_size": "as", "bid_size": "bs"}
CANDLE_SIMPLE = {
    "type": "ty",
    "code": "cd",
    "candle_date_time_utc": "cdttmu",
    "candle_date_time_kst": "cdttmk",
    "opening_price": "op",
    "high_price": "hp",
    "low_price": "lp",
    "trade_price": "tp",
    "candle_acc_trade_volume": "catv",
    "candle_acc_trade_price": "catp",
    "timestamp": "tms",
    "stream_type": "st",
}

FORMATS = ("DEFAULT", "SIMPLE", "JSON_LIST", "SIMPLE_LIST")


def simplify(message: Message) -> Message:
    """The SIMPLE form of a DEFAULT message."""
    kind = str(message.get("type", ""))
    if kind == "ticker":
        table = TICKER_SIMPLE
    elif kind == "trade":
        table = TRADE_SIMPLE
    elif kind == "orderbook":
        table = ORDERBOOK_SIMPLE
    else:
        table = CANDLE_SIMPLE
    out: Message = {}
    for key, value in message.items():
        if key == "orderbook_units":
            value = [{ORDERBOOK_UNIT_SIMPLE[k]: v for k, v in unit.items()} for unit in value]
        out[table.get(key, key)] = value
    return out


def ticker_message(
    rest: Message, code: str, stream_type: str, ask_bid: str, warning: bool
) -> Message:
    """A WebSocket ticker from the REST ticker of the same instant."""
    volume = rest["acc_trade_volume"]
    # Split the day's volume between sellers and buyers deterministically from the figures.
    share = 0.45 + (int(rest["trade_timestamp"]) % 997) / 9970.0
    return {
        "type": "ticker",
        "code": code,
        "opening_price": rest["opening_price"],
        "high_price": rest["high_price"],
        "low_price": rest["low_price"],
        "trade_price": rest["trade_price"],
        "prev_closing_price": rest["prev_closing_price"],
        "change": rest["change"],
        "change_price": rest["change_price"],
        "signed_change_price": rest["signed_change_price"],
        "change_rate": rest["change_rate"],
        "signed_change_rate": rest["signed_change_rate"],
        "trade_volume": rest["trade_volume"],
        "acc_trade_volume": volume,
        "acc_trade_volume_24h": rest["acc_trade_volume_24h"],
        "acc_trade_price": rest["acc_trade_price"],
        "acc_trade_price_24h": rest["acc_trade_price_24h"],
        "trade_date": rest["trade_date"],
        "trade_time": rest["trade_time"],
        "trade_timestamp": rest["trade_timestamp"],
        "ask_bid": ask_bid,
        "acc_ask_volume": volume * share,
        "acc_bid_volume": volume * (1.0 - share),
        "highest_52_week_price": rest["highest_52_week_price"],
        "highest_52_week_date": rest["highest_52_week_date"],
        "lowest_52_week_price": rest["lowest_52_week_price"],
        "lowest_52_week_date": rest["lowest_52_week_date"],
        "market_state": "ACTIVE",
        "is_trading_suspended": False,
        "delisting_date": None,
        "market_warning": "CAUTION" if warning else "NONE",
        "timestamp": rest["timestamp"],
        "stream_type": stream_type,
    }


def trade_message(rest: Message, code: str, stream_type: str, book: Message, now: int) -> Message:
    """A WebSocket trade from a REST trade record plus the best prices of the book."""
    change_price = rest["change_price"]
    units = book["orderbook_units"]
    best = (
        units[0]
        if units
        else {"ask_price": 0.0, "ask_size": 0.0, "bid_price": 0.0, "bid_size": 0.0}
    )
    return {
        "type": "trade",
        "code": code,
        "trade_price": rest["trade_price"],
        "trade_volume": rest["trade_volume"],
        "ask_bid": rest["ask_bid"],
        "prev_closing_price": rest["prev_closing_price"],
        "change": "RISE" if change_price > 0 else "FALL" if change_price < 0 else "EVEN",
        "change_price": abs(change_price),
        "trade_date": rest["trade_date_utc"],
        "trade_time": rest["trade_time_utc"],
        "trade_timestamp": rest["timestamp"],
        "timestamp": max(now, rest["timestamp"]),
        "sequential_id": rest["sequential_id"],
        "best_ask_price": best["ask_price"],
        "best_ask_size": best["ask_size"],
        "best_bid_price": best["bid_price"],
        "best_bid_size": best["bid_size"],
        "stream_type": stream_type,
    }


def orderbook_message(rest: Message, code: str, stream_type: str) -> Message:
    """A WebSocket order book from the REST one."""
    return {
        "type": "orderbook",
        "code": code,
        "total_ask_size": rest["total_ask_size"],
        "total_bid_size": rest["total_bid_size"],
        "orderbook_units": rest["orderbook_units"],
        "timestamp": rest["timestamp"],
        "level": rest["level"],
        "stream_type": stream_type,
    }


def candle_message(rest: Message, kind: str, code: str, stream_type: str, now: int) -> Message:
    """A WebSocket candle (``candle.1m`` and so on) from the REST candle."""
    return {
        "type": kind,
        "code": code,
        "candle_date_time_utc": rest["candle_date_time_utc"],
        "candle_date_time_kst": rest["candle_date_time_kst"],
        "opening_price": rest["opening_price"],
        "high_price": rest["high_price"],
        "low_price": rest["low_price"],
        "trade_price": rest["trade_price"],
        "candle_acc_trade_volume": rest["candle_acc_trade_volume"],
        "candle_acc_trade_price": rest["candle_acc_trade_price"],
        "timestamp": now,
        "stream_type": stream_type,
    }
