"""The system monitor, the status bar and the live-bot panel tell one honest story: the same
recent CRITICAL figure everywhere, LOW plotted per page, readable axes, legends off the curves,
and a repeated alert folded into one row."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from PyQt6.QtCore import QSettings

from backbone import Alert, MarketDataBackbone, Priority
from tests.ui.conftest import wait_until
from ui.livebot.panel import AGE_COLUMN, COLUMN_TIPS, REQUEST_COLUMN, LiveBotPanel
from ui.main_window import MainWindow
from ui.models.monitor import format_ms
from ui.monitor.panel import SystemMonitorPanel


async def test_live_bot_status_bar_and_monitor_show_the_same_critical_figure(
    qtbot: Any, backbone: MarketDataBackbone, tmp_path: Any
) -> None:
    livebot = LiveBotPanel(backbone, markets=("KRW-BTC",), interval_s=0.05)
    monitor = SystemMonitorPanel(backbone)
    window = MainWindow(
        backbone, "sim", [("Live bot", livebot), ("System monitor", monitor)],
        settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
    )
    qtbot.addWidget(window)
    livebot.start()
    await wait_until(lambda: livebot.rounds >= 5)
    await livebot.stop()
    for _ in range(25):  # CRITICAL requests the panel did not make itself still count
        await backbone.get_ticker_data(["KRW-XRP"], priority=Priority.CRITICAL)
    await livebot.poll_once()
    window.refresh_status()
    monitor.sample_once()

    p99 = backbone.metrics_snapshot().recent_latency["critical"].p99
    assert f"p99 {format_ms(p99)}" in livebot.summary.text()
    assert f"live prices {format_ms(p99)}" in window.latency_label.text()
    curve = monitor.plots["latency"].curves["CRITICAL p99"]
    assert curve.yData[-1] == p99


async def test_live_bot_shows_request_latency_and_data_age_apart(
    qtbot: Any, backbone: MarketDataBackbone
) -> None:
    panel = LiveBotPanel(backbone, markets=("KRW-BTC",), interval_s=0.1)
    qtbot.addWidget(panel)
    panel.resize(1100, 500)
    panel.show()
    panel.start()
    await wait_until(lambda: panel.rounds >= 2)
    await panel.stop()
    header = panel.table.horizontalHeaderItem
    assert header(REQUEST_COLUMN).text() == "Request ms" and "In-process" in header(REQUEST_COLUMN).toolTip()
    assert header(AGE_COLUMN).text() == "Data age s"
    assert header(AGE_COLUMN).toolTip() == COLUMN_TIPS["Data age s"]
    metrics = panel.table.horizontalHeader().fontMetrics()
    for column in range(panel.table.columnCount() - 1):  # every heading reads whole, with its margins
        assert panel.table.columnWidth(column) >= metrics.horizontalAdvance(header(column).text()) + 10
    age_s = float(panel.table.item(0, AGE_COLUMN).text())
    assert 0.0 <= age_s < 60.0
    assert not math.isnan(panel.data_age_ms["KRW-BTC"])


async def test_monitor_plots_low_per_page_not_whole_backfills(qtbot: Any, backbone: MarketDataBackbone) -> None:
    panel = SystemMonitorPanel(backbone)
    qtbot.addWidget(panel)
    await backbone.get_ticker_data(["KRW-BTC"], priority=Priority.CRITICAL)
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    answer = await backbone.get_candle_data(
        "KRW-ETH", "1m", start_time=end - timedelta(hours=20), end_time=end, priority=Priority.LOW
    )
    panel.sample_once()
    latency_curves = set(panel.plots["latency"].curves)
    assert latency_curves == {"CRITICAL p50", "CRITICAL p99"}
    per_page_s = panel.plots["pages"].curves["LOW p99"].yData[-1]
    assert 0 < per_page_s < answer.metadata.processing_time_ms / 1000
    assert "last minute" in panel.plots["cache"].getPlotItem().titleLabel.text


async def test_all_zero_deferrals_read_zero_to_one_and_legends_sit_off_the_curves(
    qtbot: Any, backbone: MarketDataBackbone
) -> None:
    panel = SystemMonitorPanel(backbone)
    qtbot.addWidget(panel)
    panel.resize(1400, 900)
    panel.show()
    await backbone.get_ticker_data(["KRW-BTC"], priority=Priority.CRITICAL)
    for _ in range(3):
        panel.sample_once()
    qtbot.wait(50)
    plot = panel.plots["deferrals"]
    low, high = plot.getViewBox().viewRange()[1]
    assert low >= 0.0 and high >= 1.0
    assert not re.search(r"x0\.0|×0\.0|\(x", plot.getAxis("left").labelString())
    for key, live in panel.plots.items():
        if not live.curves:
            continue
        legend = live.legend.sceneBoundingRect()
        view = live.getViewBox().sceneBoundingRect()
        title = live.getPlotItem().titleLabel.sceneBoundingRect()
        assert legend.height() > 0 and not legend.intersects(view), key
        assert not legend.intersects(title), key  # a row of its own, not over the title either


async def test_a_repeated_alert_updates_its_row_instead_of_adding_rows(
    qtbot: Any, backbone: MarketDataBackbone
) -> None:
    panel = SystemMonitorPanel(backbone)
    qtbot.addWidget(panel)
    for i in range(4):
        panel.add_alert(Alert(1_700_000_000.0 + 30 * i, "warning", f"CRITICAL p99 latency {90 + i} ms is over its 50 ms target", "critical"))
    panel.add_alert(Alert(1_700_000_500.0, "warning", "LOW work deferred for 31 s: CPU at 96%", "low"))
    assert panel.alerts.count() == 2
    assert panel.alerts.item(0).text().endswith("LOW work deferred for 31 s: CPU at 96%")
    assert "93 ms" in panel.alerts.item(1).text() and "(×4 since" in panel.alerts.item(1).text()
