"""How the panels write prices, amounts and times: Upbit's conventions, in Korea Standard Time (no Qt)."""

from __future__ import annotations

from datetime import timedelta, timezone

KST = timezone(timedelta(hours=9), "KST")


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
