"""The system monitor's presenter: the backbone's metrics snapshots and its alert stream.

Calls: ``metrics_snapshot()`` and ``alerts()``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backbone import Alert, MarketDataBackbone, MetricsSnapshot


class MonitorPresenter:
    """What the monitor samples and follows."""

    def __init__(self, backbone: MarketDataBackbone) -> None:
        self.backbone = backbone

    def snapshot(self) -> MetricsSnapshot:
        return self.backbone.metrics_snapshot()

    def alerts(self) -> AsyncIterator[Alert]:
        """Alerts raised from now on."""
        return self.backbone.alerts()
