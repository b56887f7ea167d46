"""Switchable faults: error answers, slow answers, broken bodies, dropped WebSockets."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True, slots=True)
class Faults:
    """What fraction of REST answers go wrong, and how; all zero means a healthy exchange.

    Fractions are drawn independently per answer in this order: 429, 500, 503 (the
    answer is replaced), then slow (``slow_ms`` added), then malformed or truncated
    body. ``ws_drop_interval_s`` closes every WebSocket connection that often.
    """

    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_503: float = 0.0
    slow_fraction: float = 0.0
    slow_ms: float = 2000.0
    malformed_fraction: float = 0.0
    truncated_fraction: float = 0.0
    ws_drop_interval_s: float | None = None

    def __post_init__(self) -> None:
        for name in (
            "rate_429",
            "rate_500",
            "rate_503",
            "slow_fraction",
            "malformed_fraction",
            "truncated_fraction",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a fraction in [0, 1], got {value!r}")
        if self.slow_ms < 0:
            raise ValueError(f"slow_ms must be >= 0, got {self.slow_ms!r}")
        if self.ws_drop_interval_s is not None and self.ws_drop_interval_s <= 0:
            raise ValueError(
                f"ws_drop_interval_s must be > 0 or None, got {self.ws_drop_interval_s!r}"
            )

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Faults:
        """Build from JSON, naming any unknown field."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault field(s) {unknown}; allowed: {sorted(known)}")
        return cls(**data)

    def to_mapping(self) -> dict[str, Any]:
        """As JSON-ready dict."""
        return asdict(self)

    @property
    def any_rest(self) -> bool:
        """True when some REST fault can fire."""
        return any(
            (
                self.rate_429,
                self.rate_500,
                self.rate_503,
                self.slow_fraction,
                self.malformed_fraction,
                self.truncated_fraction,
            )
        )


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """What happens to one answer."""

    status: int | None = None  # replace the answer with this error status
    extra_delay_s: float = 0.0
    body: str | None = None  # "malformed" or "truncated"


class FaultDice:
    """Draws a FaultPlan per answer from the current Faults (seeded, so runs repeat)."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def roll(self, faults: Faults) -> FaultPlan:
        if not faults.any_rest:
            return FaultPlan()
        r = self._random.random
        status = None
        if r() < faults.rate_429:
            status = 429
        elif r() < faults.rate_500:
            status = 500
        elif r() < faults.rate_503:
            status = 503
        delay = faults.slow_ms / 1000.0 if r() < faults.slow_fraction else 0.0
        body = None
        if status is None:
            if r() < faults.malformed_fraction:
                body = "malformed"
            elif r() < faults.truncated_fraction:
                body = "truncated"
        return FaultPlan(status, delay, body)
