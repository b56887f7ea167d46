"""What a user sees in the live-bot monitor (latencies, signals, bad entries) and the system monitor."""

from __future__ import annotations

import math
from typing import Any

from PyQt6 import QtGui

from backbone import MarketDataBackbone
from tests.ui.conftest import wait_until
from ui.colors import LATENCY_BAD, LATENCY_OK, LATENCY_WARN
from ui.livebot.panel import LiveBotPanel
from ui.models.livebot import PaperPosition
from ui.monitor.panel import SystemMonitorPanel


async def test_live_bot_shows_the_latency_of_every_critical_request(
    qtbot: Any, backbone: MarketDataBackbone
) -> None:
    panel = LiveBotPanel(backbone, markets=("KRW-BTC", "KRW-ETH"), interval_s=0.2)
    qtbot.addWidget(panel)
    panel.show()
    panel.start()
    await wait_until(lambda: panel.rounds >= 3)
    for row, market in enumerate(("KRW-BTC", "KRW-ETH")):
        tracker = panel.latency[market]
        assert tracker.total >= 3 and not math.isnan(tracker.last)
        cell = panel.table.item(row, 6)
        assert float(cell.text()) == round(tracker.last, 1)
        colour = cell.foreground().color().name()
        assert colour in {QtGui.QColor(c).name() for c in (LATENCY_OK, LATENCY_WARN, LATENCY_BAD)}
        assert panel.table.item(row, 1).text() not in ("-", "nan")
    assert "CRITICAL requests" in panel.summary.text()
    await panel.stop()


async def test_live_bot_rejects_bad_watchlist_entries(qtbot: Any, backbone: MarketDataBackbone) -> None:
    panel = LiveBotPanel(backbone, markets=())
    qtbot.addWidget(panel)
    panel.start()
    await wait_until(lambda: bool(panel.known_markets))
    panel.entry.setText("   ")
    panel.entry.returnPressed.emit()
    assert panel.message.is_error and "Enter a market code" in panel.message.text()
    assert not panel.add_market("KRW-NOTACOIN")
    assert "Unknown market" in panel.message.text()
    assert panel.add_market("eth") and panel.watchlist == ["KRW-ETH"]
    assert not panel.add_market("KRW-ETH") and "already watched" in panel.message.text()
    assert panel.remove_market("KRW-ETH") and panel.table.rowCount() == 0
    await panel.stop()


def test_paper_rule_buys_on_an_uptrend_and_sells_on_the_turn() -> None:
    position = PaperPosition("KRW-BTC", short_period=3, long_period=8, fee=0.0)
    prices = [100.0] * 10 + [101.0 + i for i in range(10)] + [110.0 - 2 * i for i in range(10)]
    actions = [s.action for i, p in enumerate(prices) if (s := position.on_price(p, i)) is not None]
    assert actions == ["BUY", "SELL"]
    assert position.trades == 1 and position.entry_price is None
    assert position.realised_krw != 0.0


async def test_system_monitor_plots_receive_points(qtbot: Any, backbone: MarketDataBackbone) -> None:
    panel = SystemMonitorPanel(backbone, interval_s=0.1)
    qtbot.addWidget(panel)
    panel.show()
    for _ in range(3):
        await backbone.get_ticker_data(["KRW-BTC"])
    panel.start()
    await wait_until(lambda: panel.samples >= 3)
    for key in ("latency", "rates", "cache", "budget", "queues", "load", "deferrals"):
        assert panel.plots[key].points() >= 3, key
    assert panel.plots["latency"].points("NORMAL p99") >= 3
    assert "WebSocket" in panel.headline.text()
    backbone.metrics.alert("warning", "test alert shown in the list")
    await wait_until(lambda: panel.alerts.count() >= 1)
    assert "test alert" in panel.alerts.item(0).text()
    await panel.stop()
