"""Colours shared by the panels. Korean market convention: rising red, falling blue."""

from __future__ import annotations

RISE = "#e0443e"  # 상승: red
FALL = "#2f6fd6"  # 하락: blue
EVEN = "#9aa0a6"

LATENCY_OK = "#2e9d57"
LATENCY_WARN = "#e0a021"
LATENCY_BAD = "#d93a3a"

ERROR_TEXT = "#e5534b"
INFO_TEXT = "#8b949e"

# Distinct, colour-blind-friendlier series colours for plots.
SERIES = ("#4e9af1", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7")


def change_color(change: float) -> str:
    """Colour for a signed change: red up, blue down, grey flat."""
    if change > 0:
        return RISE
    if change < 0:
        return FALL
    return EVEN


def latency_color(ms: float, target_ms: float) -> str:
    """Green well inside the target, amber close to it (over 70 %), red beyond it."""
    if ms > target_ms:
        return LATENCY_BAD
    if ms > 0.7 * target_ms:
        return LATENCY_WARN
    return LATENCY_OK
