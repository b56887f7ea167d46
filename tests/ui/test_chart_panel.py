"""What a user sees in the chart: the requested candles, a live last candle, older history."""

from __future__ import annotations

from typing import Any

from backbone import MarketDataBackbone
from tests.ui.conftest import wait_until
from ui.chart.chart_panel import INITIAL_COUNT, ChartPanel


async def test_chart_holds_the_requested_candles_and_follows_live_trades(
    qtbot: Any, backbone: MarketDataBackbone
) -> None:
    chart = ChartPanel(backbone)
    qtbot.addWidget(chart)
    chart.resize(900, 600)
    chart.show()
    assert await chart.open("KRW-BTC", "1m")
    assert chart.market == "KRW-BTC" and chart.timeframe == "1m"
    assert 0 < chart.candle_count() <= INITIAL_COUNT
    reference = await backbone.get_candle_data("KRW-BTC", "1m", count=INITIAL_COUNT)
    assert chart.candle_count() == len(reference.data)
    first = chart.last_candle()
    await wait_until(lambda: chart.last_candle() != first, within=15)
    assert chart.last_candle()["start"] >= first["start"]
    await chart.stop()


async def test_scrolling_back_loads_older_history(qtbot: Any, backbone: MarketDataBackbone) -> None:
    chart = ChartPanel(backbone)
    qtbot.addWidget(chart)
    chart.resize(900, 600)
    chart.show()
    assert await chart.open("KRW-ETH", "5m")
    before = chart.candle_count()
    oldest = float(chart.series.x[0])
    low, high = chart.view.x_range()
    chart.view.set_x_range(oldest - (high - low), oldest)  # drag past the left edge
    await wait_until(lambda: chart.candle_count() > before, within=15)
    assert float(chart.series.x[0]) < oldest
    assert (chart.series.x[1:] > chart.series.x[:-1]).all()  # still ascending, no duplicates
    await chart.stop()


async def test_unknown_market_shows_a_clear_message(qtbot: Any, backbone: MarketDataBackbone) -> None:
    chart = ChartPanel(backbone)
    qtbot.addWidget(chart)
    chart.start()
    await wait_until(lambda: bool(chart.search.markets))
    chart.search.setText("NOPE-COIN")
    chart.search.returnPressed.emit()
    assert chart.message.is_error and "Unknown market" in chart.message.text()
    assert not await chart.open("KRW-NOPE", "1m")
    assert chart.message.is_error and "KRW-NOPE" in chart.message.text()
    await chart.stop()


async def test_chart_exports_the_candles_it_shows(qtbot: Any, backbone: MarketDataBackbone) -> None:
    chart = ChartPanel(backbone)
    qtbot.addWidget(chart)
    assert await chart.open("KRW-ETH", "1h")
    header, rows = chart.export_rows()
    assert header == ["time_kst", "open", "high", "low", "close", "volume"]
    assert len(rows) == chart.candle_count() > 0
    assert rows[-1][4] == chart.last_candle()["close"]
    await chart.stop()
