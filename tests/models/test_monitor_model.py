"""The monitor's Qt-free model: what the status bar says, which series are plotted, and how
repeated alerts fold into one row."""

from __future__ import annotations

from backbone import Alert, LatencyStats
from ui.models.monitor import AlertLog, SeriesBuffer, kst_clock, snapshot_series, status_text


def _stats(p50: float, p99: float, count: int = 30) -> LatencyStats:
    return LatencyStats(count, p50, p50, p99, p99)


SNAPSHOT = {
    "recent_latency": {
        "critical": _stats(4.0, 9.0),
        "high": _stats(0.0, 0.0, count=0),
        "normal": _stats(40.0, 600.0),
        "low_page": _stats(310.0, 900.0),
    },
    # What the old status bar read: a whole backfill as "protected p99 43744 ms".
    "latency_by_path": {"protected": _stats(40_000.0, 43_744.0), "critical": _stats(4.0, 9.0)},
    "cache_hit_ratio": 0.75,
}


def test_the_status_bar_speaks_a_traders_words() -> None:
    assert status_text(SNAPSHOT) == (
        "Answered within (99%), last minute: live prices 9.0 ms · charts 600 ms (slow) · history 0.3 s per page"
    )
    assert status_text({}) == "No requests answered in the last minute"


def test_the_status_bar_says_when_a_desk_shares_the_address_and_this_apps_part() -> None:
    alone = {**SNAPSHOT, "rate_budget": {"candle": {"limit_per_s": 10.0, "available": 4, "reserve": 0, "part": 10.0}}}
    assert "desk" not in status_text(alone)
    shared = {**SNAPSHOT, "rate_budget": {"candle": {"limit_per_s": 10.0, "available": 1, "reserve": 0, "part": 3.0}}}
    assert status_text(shared).endswith(
        "history 0.3 s per page · address shared by a desk: this app's part 3 of 10 candle calls/s"
    )


def test_latency_plot_holds_request_paths_and_low_is_plotted_per_page() -> None:
    series = snapshot_series(SNAPSHOT)
    assert set(series["latency"]) == {f"{p} {q}" for p in ("CRITICAL", "NORMAL") for q in ("p50", "p99")}
    assert series["pages"]["LOW p99"] == 0.9  # seconds per page, not a 43 s backfill
    assert series["cache"]["hit ratio"] == 75.0


def test_the_same_alert_raised_again_updates_one_row() -> None:
    log = AlertLog()
    for i, ms in enumerate((120, 133, 145)):
        alert = Alert(1_700_000_000.0 + 30 * i, "warning", f"CRITICAL p99 latency {ms} ms is over its 50 ms target", "critical")
        assert log.add(alert) is not None
        assert log.add(alert) is None  # the same alert from the snapshot and the stream counts once
    (row,) = log.rows.values()
    assert row.count == 3 and "145 ms" in row.message
    assert row.text(kst_clock).endswith(f"(×3 since {kst_clock(1_700_000_000.0)})")
    other = Alert(1_700_000_100.0, "warning", "LOW work deferred for 31 s: CPU at 96%", "low")
    assert log.add(other) == (log.rows[next(reversed(log.rows))], True)



def test_a_series_buffer_keeps_the_newest_samples_in_order() -> None:
    buffer = SeriesBuffer(600)
    for i in range(250):
        buffer.append(float(i), float(i) * 2)
    x, y = buffer.columns()
    assert len(buffer) == 250 and x.tolist() == [float(i) for i in range(250)]
    for i in range(250, 1000):
        buffer.append(float(i), float(i) * 2)
    x, y = buffer.columns()
    assert len(buffer) == 600
    assert x.tolist() == [float(i) for i in range(400, 1000)] and y[-1] == 1998.0
