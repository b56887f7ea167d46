"""The monitor's figures: what each path promises over a recent window, a rolling cache ratio,
and alerts raised on a change of state rather than on a timer (on a controllable clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backbone import MarketDataBackbone, Priority
from backbone.api.metrics import LOW_PAGE, RECENT_WINDOW_S, MetricsCollector


class Clock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _request(
    metrics: MetricsCollector, priority: Priority, ms: float, *, hit: bool = False, path: str = "standard"
) -> None:
    metrics.record(
        priority=priority, path=path, latency_ms=ms, error_code=None, cache_hit=hit,
        upstream_calls=0, slo_applies=True,
    )


def test_cache_hit_ratio_reads_the_recent_window_not_the_whole_session() -> None:
    clock = Clock()
    metrics = MetricsCollector(clock)
    for _ in range(90):
        _request(metrics, Priority.NORMAL, 5.0, hit=False)
    clock.now += RECENT_WINDOW_S + 1
    for _ in range(10):
        _request(metrics, Priority.NORMAL, 5.0, hit=True)
    assert metrics.cache_hit_ratio == 1.0
    assert metrics.cache_hit_ratio_total == 0.1


def test_recent_latency_leaves_out_whole_low_backfills_and_reads_low_per_page() -> None:
    clock = Clock()
    metrics = MetricsCollector(clock)
    _request(metrics, Priority.LOW, 40_000.0, path="protected")
    metrics.record_page(250.0)
    metrics.record_page(350.0)
    _request(metrics, Priority.CRITICAL, 8.0, path="critical")
    recent = metrics.recent_latency()
    assert recent[LOW_PAGE].count == 2 and recent[LOW_PAGE].max == 350.0
    assert recent["critical"].count == 1 and recent["critical"].p99 == 8.0
    assert recent["normal"].count == 0
    clock.now += RECENT_WINDOW_S + 1
    assert metrics.recent_latency()["critical"].count == 0
    assert metrics.latency_by_path()["protected"].count == 1  # the API's per-path figures are kept


def test_a_broken_target_alerts_once_while_it_stays_broken_and_once_when_met_again() -> None:
    clock = Clock()
    metrics = MetricsCollector(clock)
    for _ in range(300):  # ten minutes of a slow CRITICAL path, a request every 2 s
        _request(metrics, Priority.CRITICAL, 120.0, path="critical")
        clock.now += 2.0
    assert [a.level for a in metrics.alerts] == ["warning"]
    assert "CRITICAL p99 latency 120 ms is over its 50 ms target" in metrics.alerts[0].message
    for _ in range(60):
        _request(metrics, Priority.CRITICAL, 10.0, path="critical")
        clock.now += 2.0
    assert [a.level for a in metrics.alerts] == ["warning", "info"]
    assert "back within" in metrics.alerts[1].message


def test_a_long_deferral_alerts_once_per_request() -> None:
    metrics = MetricsCollector(Clock())
    for waited in (31_000.0, 61_000.0, 91_000.0):
        metrics.note_deferral(waited, "CPU at 96%", "request-1")
    metrics.note_deferral(45_000.0, "CPU at 96%", "request-2")
    assert len(metrics.alerts) == 2


async def test_a_low_history_load_reports_time_per_page_not_its_whole_duration(
    backbone: MarketDataBackbone,
) -> None:
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    response = await backbone.get_candle_data(
        "KRW-BTC", "1m", start_time=end - timedelta(hours=20), end_time=end, priority=Priority.LOW
    )
    assert response.success, response.error
    snapshot = backbone.metrics_snapshot()
    pages = snapshot.recent_latency[LOW_PAGE]
    assert pages.count >= 3  # 1,200 minutes are six pages
    assert pages.max < response.metadata.processing_time_ms
    assert snapshot.latency_by_path["protected"].count == 1
