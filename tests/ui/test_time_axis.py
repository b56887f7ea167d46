"""The time axis labels UTC epoch seconds in KST on round KST times."""

from __future__ import annotations

from datetime import UTC, datetime

from ui.chart.time_axis import KstTimeAxis, kst_label, kst_ticks


def _utc(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def test_labels_are_kst_not_utc() -> None:
    when = _utc(2024, 3, 1, 6, 30)  # 15:30 KST
    assert kst_label(when, 300) == "15:30"
    assert kst_label(when, 5) == "15:30:00"
    assert kst_label(_utc(2024, 2, 29, 15, 0), 3600) == "03-01"  # KST midnight names the day
    assert kst_label(when, 86400) == "03-01"
    assert kst_label(when, 31 * 86400) == "2024-03"
    assert kst_label(when, 400 * 86400) == "2024"


def test_day_ticks_fall_on_kst_midnight() -> None:
    spacing, ticks = kst_ticks(_utc(2024, 1, 1), _utc(2024, 1, 10), 8)
    assert spacing == 2 * 86400 or spacing == 86400
    assert ticks and all((t + 9 * 3600) % 86400 == 0 for t in ticks)


def test_month_ticks_are_first_of_month_in_kst() -> None:
    spacing, ticks = kst_ticks(_utc(2023, 1, 1), _utc(2024, 1, 1), 6)
    labels = [kst_label(t, spacing) for t in ticks]
    # 2023-01-01 00:00 UTC is already 09:00 KST, so the first quarter tick is April.
    assert labels[:2] == ["2023-04", "2023-07"]
    assert all(datetime.fromtimestamp(t + 9 * 3600, UTC).day == 1 for t in ticks)


def test_axis_item_uses_kst(qtbot: object) -> None:
    axis = KstTimeAxis()
    minute = _utc(2024, 5, 5, 0, 0)
    [(spacing, values)] = axis.tickValues(minute, minute + 3600, 600)
    assert spacing <= 900 and values[0] == minute
    assert axis.tickStrings(values[:1], 1.0, spacing) == ["09:00"]  # 00:00 UTC is 09:00 KST
