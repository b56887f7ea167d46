"""What a user sees in the backtest runner: progress to 100 %, correct statistics, cancel, errors."""

from __future__ import annotations

from typing import Any

import pytest
from PyQt6 import QtCore

from backbone import MarketDataBackbone, Priority
from backbone.sim import ExchangeSimulator
from tests.ui.conftest import wait_until
from tests.ui.test_backtest_engine import reference_backtest
from ui.backtest.panel import BacktestPanel
from ui.models.backtest.strategies import STRATEGIES


async def test_three_day_backtest_runs_to_100_percent_with_reference_statistics(
    qtbot: Any, backbone: MarketDataBackbone
) -> None:
    panel = BacktestPanel(backbone)
    qtbot.addWidget(panel)
    panel.show()
    form = panel.form
    form.market.setText("KRW-BTC")
    form.timeframe.setCurrentText("5m")
    today = QtCore.QDate.currentDate()
    form.start_date.setDate(today.addDays(-2))
    form.end_date.setDate(today)
    form.select_strategy("ma_cross")
    form.parameter_boxes["ma_cross"]["fast"].setValue(6)
    form.parameter_boxes["ma_cross"]["slow"].setValue(24)
    percents: list[int] = []
    panel.progress.valueChanged.connect(percents.append)
    task = panel.run()
    assert task is not None
    result = await task
    assert panel.state == "done" and result is not None
    assert panel.progress.value() == 100 and percents[-1] == 100
    assert len(percents) >= 2  # it moved on the way

    # The run's own range: asking the form again could cut it at a later "now",
    # one candle further on.
    settings = panel.settings
    assert settings is not None
    answer = await backbone.get_candle_data(
        "KRW-BTC", "5m", start_time=settings.start, end_time=settings.end
    )
    candles = answer.candles
    assert candles is not None
    assert len(candles) == result.statistics.bars > 2 * 288 * 0.8
    positions = STRATEGIES["ma_cross"].positions(candles, {"fast": 6, "slow": 24})
    ref = reference_backtest(candles.close, positions, 0.0005, 300, candles.start_ms)
    stats = result.statistics
    assert stats.total_return == pytest.approx(ref["total_return"], rel=1e-9, abs=1e-12)
    assert stats.max_drawdown == pytest.approx(ref["max_drawdown"], rel=1e-9, abs=1e-12)
    assert stats.win_rate == pytest.approx(ref["win_rate"])
    assert stats.sharpe == pytest.approx(ref["sharpe"], rel=1e-9, abs=1e-12)
    assert panel.results.stat_labels["Total return"].text() == f"{ref['total_return'] * 100:+.2f}%"
    assert panel.results.stat_labels["Trades"].text() == str(ref["trades"])
    assert panel.results.trades.rowCount() == ref["trades"]


async def test_cancel_stops_a_long_history_load(
    qtbot: Any, backbone: MarketDataBackbone, simulator: ExchangeSimulator
) -> None:
    panel = BacktestPanel(backbone)
    qtbot.addWidget(panel)
    form = panel.form
    form.timeframe.setCurrentText("1m")
    today = QtCore.QDate.currentDate()
    form.start_date.setDate(today.addDays(-60))  # ~86,000 candles: minutes of loading
    form.end_date.setDate(today)
    task = panel.run()
    assert task is not None
    await wait_until(lambda: panel.last_event is not None and panel.last_event.pages_done >= 2)
    panel.cancel()
    assert panel.state == "cancelled"
    calls = simulator.stats.calls["candle"]
    await wait_until(lambda: task.done(), within=5)
    scheduler = backbone._router.scheduler
    assert scheduler.waiting()[Priority.LOW] == 0  # no page of the run is left to start
    await wait_until(lambda: scheduler.in_flight().get(Priority.LOW, 0) == 0, within=5)
    assert simulator.stats.calls["candle"] - calls <= 6  # in-flight pages at most
    assert panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()
    assert panel.progress.value() < 100


async def test_bad_dates_and_markets_show_clear_messages(qtbot: Any, backbone: MarketDataBackbone) -> None:
    panel = BacktestPanel(backbone)
    qtbot.addWidget(panel)
    today = QtCore.QDate.currentDate()
    panel.form.start_date.setDate(today)
    panel.form.end_date.setDate(today.addDays(-5))
    assert panel.run() is None
    assert panel.message.is_error and "before the start date" in panel.message.text()

    panel.form.end_date.setDate(today)
    panel.form.market.setText("")
    assert panel.run() is None
    assert "Market" in panel.message.text()

    panel.form.market.setText("KRW-NOTACOIN")  # shaped like a code, unknown to the exchange
    task = panel.run()
    assert task is not None
    assert await task is None
    assert panel.state == "failed" and panel.message.is_error
    assert "KRW-NOTACOIN" in panel.message.text()

    panel.form.start_date.setDate(today.addDays(3))
    panel.form.end_date.setDate(today.addDays(4))
    assert panel.run() is None and "future" in panel.message.text()


async def test_a_deferred_backtest_says_it_waits_for_system_load_then_runs(
    qtbot: Any, simulator: ExchangeSimulator, tmp_path: Any
) -> None:
    import time

    from backbone import LoadSample

    busy_until = time.monotonic() + 1.5

    def busy_then_calm() -> LoadSample:
        return LoadSample(96.0 if time.monotonic() < busy_until else 5.0, 30.0)

    bb = MarketDataBackbone(simulator.rest_url, simulator.ws_url, str(tmp_path / "defer.sqlite"), load_sampler=busy_then_calm)
    await bb.start()
    try:
        panel = BacktestPanel(bb)
        qtbot.addWidget(panel)
        panel.show()
        panel.form.timeframe.setCurrentText("1h")
        seen: list[str] = []
        task = panel.run()
        assert task is not None
        await wait_until(lambda: "Waiting for system load" in panel.progress_label.text(), within=5)
        seen.append(panel.progress_label.text())
        assert "CPU at 96%" in seen[0]
        await task
        assert panel.state == "done" and panel.progress.value() == 100
    finally:
        await bb.stop()
