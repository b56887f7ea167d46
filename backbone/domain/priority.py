"""Request priorities: who is asking decides how a request is routed and scheduled."""

from __future__ import annotations

from enum import Enum


class Priority(Enum):
    """How urgent a request is.

    CRITICAL is a live bot (target < 50 ms), HIGH live monitoring (< 100 ms),
    NORMAL charts and screens (< 500 ms), LOW backtests (background).
    """

    CRITICAL = "critical"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for CRITICAL up to 3 for LOW: lower ranks are served first."""
        return _RANKS[self]

    @classmethod
    def parse(cls, value: Priority | str) -> Priority:
        """Accept a Priority or its value/name in any case; raise ValueError naming the choices."""
        if isinstance(value, Priority):
            return value
        text = str(value).strip().lower()
        for member in cls:
            if member.value == text:
                return member
        allowed = ", ".join(m.value for m in cls)
        raise ValueError(f"priority {value!r} is not one of: {allowed}")


_RANKS = {Priority.CRITICAL: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}
