"""What a trader sees on the chart: history filled after a fling and its start marked, the
legend, the future margin, indicators, the last-price tag, jump to latest, log scale,
remembered state, and the order book and trades beside the chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PyQt6 import QtCore
from PyQt6.QtCore import QSettings

from backbone import MarketDataBackbone
from tests.ui.conftest import wait_until
from ui.chart.chart_panel import INITIAL_COUNT, ChartPanel
from ui.colors import FALL, RISE
from ui.models.chart import navigation
from ui.models.chart.order_book import BOOK_DEPTH
from ui.models.formatting import format_price
from ui.models.indicators import rsi, sma


def on_screen(chart: ChartPanel, curve_name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(candle indices, values) a curve draws, or None while its points do not sit on the
    current candles (a live candle or older history arrived and the redraw is still due)."""
    curve = {**chart.view.overlay_curves, **chart.view.lower_curves}[curve_name]
    x, y = curve.getData()
    index = np.searchsorted(chart.series.x, x - chart.series.width / 2)
    if (index >= len(chart.series.x)).any() or not (chart.series.x[index] + chart.series.width / 2 == x).all():
        return None
    return index, y


def drawn(chart: ChartPanel, curve_name: str) -> tuple[np.ndarray, np.ndarray]:
    """(candle indices, values) a curve draws: what is on screen, checked against the candles."""
    placed = on_screen(chart, curve_name)
    assert placed is not None
    return placed


def shows(chart: ChartPanel, curve_name: str, values: np.ndarray, *, from_first: bool = False) -> bool:
    """The curve draws ``values`` (one per current candle) at every candle it covers."""
    placed = on_screen(chart, curve_name)
    if placed is None or (from_first and placed[0][0] != 0):
        return False
    index, y = placed
    return bool(np.allclose(y, values[index], equal_nan=True))


def shown_chart(qtbot: Any, backbone: MarketDataBackbone, **kwargs: Any) -> ChartPanel:
    chart = ChartPanel(backbone, **kwargs)
    qtbot.addWidget(chart)
    chart.resize(1200, 700)
    chart.show()
    return chart


async def test_a_fling_past_the_left_edge_loads_until_the_view_is_filled_saying_so(
    qtbot: Any, backbone: MarketDataBackbone
) -> None:
    chart = shown_chart(qtbot, backbone)
    assert await chart.open("KRW-BTC", "1d")
    oldest = float(chart.series.x[0])
    left = oldest - 1000 * 86400.0
    chart.view.set_x_range(left, left + 150 * 86400.0)  # one fast gesture, days past the data
    assert chart.loading_label.text() == "Loading older history…"
    await wait_until(lambda: chart.loading_label.text() == "", within=20)
    assert float(chart.series.x[0]) <= left + navigation.EDGE_CANDLES * 86400.0
    assert chart.candle_count() >= INITIAL_COUNT + 1000
    assert not chart.view.history_start_line.isVisible()
    await chart.stop()


async def test_the_start_of_the_markets_history_is_marked_on_the_chart(qtbot: Any, backbone: MarketDataBackbone) -> None:
    chart = shown_chart(qtbot, backbone)
    assert await chart.open("KRW-BTC", "1w")
    chart.view.set_x_range(float(chart.series.x[0]) - 3000 * 86400.0, float(chart.series.x[0]))
    await wait_until(lambda: chart.view.history_start_line.isVisible(), within=20)
    assert chart.view.history_start_line.value() == float(chart.series.x[0])
    assert chart.view.history_start_line.label.toPlainText() == "Start of history"
    assert chart.loading_label.text() == ""
    # Another market starts without the mark.
    assert await chart.open("KRW-ETH", "1w")
    assert not chart.view.history_start_line.isVisible()
    await chart.stop()


async def test_the_legend_follows_the_market_and_timeframe_shown(qtbot: Any, backbone: MarketDataBackbone) -> None:
    chart = shown_chart(qtbot, backbone)
    assert await chart.open("KRW-BTC", "1m")
    chart.view.hovered.emit(10)  # the mouse over an old BTC candle
    assert chart.legend.text().startswith("KRW-BTC 1m")
    assert f"C {format_price(float(chart.series.close[10]))}" in chart.legend.text()
    assert await chart.open("KRW-ETH", "1m")
    assert chart.legend.text().startswith("KRW-ETH 1m")
    assert f"C {format_price(float(chart.series.close[-1]))}" in chart.legend.text()
    assert await chart.open("KRW-ETH", "5m")
    assert chart.legend.text().startswith("KRW-ETH 5m")
    chart.view.hovered.emit(-1)  # the mouse left: the last candle again
    assert f"C {format_price(float(chart.series.close[-1]))}" in chart.legend.text()
    await chart.stop()


async def test_zooming_out_stops_a_few_candles_past_the_live_one(qtbot: Any, backbone: MarketDataBackbone) -> None:
    chart = shown_chart(qtbot, backbone)
    assert await chart.open("KRW-BTC", "1m")
    last = float(chart.series.x[-1])
    chart.view.set_x_range(float(chart.series.x[0]), last + 2 * 86400.0)  # two days into the future
    limit = navigation.right_limit(chart.series)
    assert limit is not None and chart.view.x_range()[1] <= limit + 1e-6
    assert limit - last <= (navigation.FUTURE_MARGIN_CANDLES + 1) * 60.0
    await chart.stop()


async def test_indicators_from_the_menu_are_drawn_and_follow_the_live_candle_and_older_history(
    qtbot: Any, backbone: MarketDataBackbone
) -> None:
    chart = shown_chart(qtbot, backbone)
    assert await chart.open("KRW-BTC", "1m")
    menu = chart.indicator_menu
    menu.periods["SMA"].setText("10")
    for kind in ("SMA", "EMA", "BB", "RSI"):
        menu.checks[kind].setChecked(True)
    assert set(chart.view.overlay_curves) == {"SMA 10", "EMA 50", "BB 20 upper", "BB 20 middle", "BB 20 lower"}
    assert set(chart.view.lower_curves) == {"RSI 14"} and chart.view.lower_plot.isVisible()
    named = {label.text for _, label in chart.view.overlay_legend.items}
    assert named == set(chart.view.overlay_curves)  # each line is named on the chart
    index, y = drawn(chart, "SMA 10")
    assert index[-1] == chart.candle_count() - 1 and len(index) >= 100
    np.testing.assert_allclose(y, sma(chart.series.close, 10)[index], equal_nan=True)
    # The live candle moves: the lines are recomputed with it.
    close = float(chart.series.close[-1])
    await wait_until(lambda: float(chart.series.close[-1]) != close, within=20)
    # Ticks keep coming while the lines redraw: wait for a redraw that caught up, not a sleep.
    await wait_until(lambda: shows(chart, "SMA 10", sma(chart.series.close, 10)))
    # Older history arrives and comes into view: the lines cover it too.
    assert await chart.load_older() > 0
    chart.view.set_x_range(float(chart.series.x[0]), float(chart.series.x[300]))
    await wait_until(lambda: shows(chart, "RSI 14", rsi(chart.series.close, 14), from_first=True))
    # A period that is not a number is named, and the others stay.
    menu.periods["EMA"].setText("fast")
    menu.periods["EMA"].editingFinished.emit()
    assert chart.message.is_error and "EMA periods must be whole numbers" in chart.message.text()
    assert "SMA 10" in chart.view.overlay_curves and "EMA 50" not in chart.view.overlay_curves
    assert "EMA 50" not in {label.text for _, label in chart.view.overlay_legend.items}
    menu.checks["RSI"].setChecked(False)
    assert not chart.view.lower_plot.isVisible()
    await chart.stop()


async def test_macd_and_volume_average_share_the_lower_pane(qtbot: Any, backbone: MarketDataBackbone) -> None:
    chart = shown_chart(qtbot, backbone)
    assert await chart.open("KRW-ETH", "5m")
    chart.indicator_menu.checks["MACD"].setChecked(True)
    chart.indicator_menu.checks["VOLMA"].setChecked(True)
    assert set(chart.view.lower_curves) == {"MACD 12,26,9", "signal", "histogram", "VOLMA 20"}
    index, y = drawn(chart, "VOLMA 20")
    np.testing.assert_allclose(y, sma(chart.series.volume, 20)[index], equal_nan=True)
    await chart.stop()


async def test_the_last_price_has_a_line_and_a_coloured_tag_on_the_axis(qtbot: Any, backbone: MarketDataBackbone) -> None:
    chart = shown_chart(qtbot, backbone)
    assert await chart.open("KRW-BTC", "1m")
    close, open_ = float(chart.series.close[-1]), float(chart.series.open[-1])
    assert chart.view.last_price_line.isVisible() and chart.view.last_price_line.value() == close
    assert chart.view.price_axis.tag_text == format_price(close)
    expected = RISE if close > open_ else FALL if close < open_ else None
    if expected is not None:
        assert chart.view.price_axis.tag_colour.name() == expected
    await chart.stop()


async def test_jump_to_latest_brings_back_the_live_candle(qtbot: Any, backbone: MarketDataBackbone) -> None:
    chart = shown_chart(qtbot, backbone)
    assert await chart.open("KRW-BTC", "1h")
    chart.view.set_x_range(float(chart.series.x[100]), float(chart.series.x[200]))
    chart.latest_button.click()
    low, high = chart.view.x_range()
    assert low < float(chart.series.x[-1]) < high
    await chart.stop()


async def test_log_scale_draws_prices_on_a_logarithmic_axis(qtbot: Any, backbone: MarketDataBackbone) -> None:
    chart = shown_chart(qtbot, backbone)
    assert await chart.open("KRW-BTC", "1d")
    span = chart.view.x_range()
    chart.log_button.click()
    assert chart.view.log_scale and chart.view.candles._log_y
    assert chart.view.x_range() == span
    low, high = chart.view.candles.dataBounds(1)
    assert low == pytest.approx(np.log10(chart.series.low.min()))
    assert high == pytest.approx(np.log10(chart.series.high.max()))
    assert chart.view.last_price_line.value() == pytest.approx(np.log10(float(chart.series.close[-1])))
    chart.log_button.click()
    assert not chart.view.log_scale
    await chart.stop()


async def test_each_markets_chart_state_is_remembered_between_runs(
    qtbot: Any, backbone: MarketDataBackbone, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "chart.ini"), QSettings.Format.IniFormat)
    first = shown_chart(qtbot, backbone, settings=settings)
    assert await first.open("KRW-ETH", "5m")
    first.indicator_menu.periods["SMA"].setText("30")
    first.indicator_menu.checks["SMA"].setChecked(True)
    first.log_button.click()
    first.view.show_last(80)
    assert await first.open("KRW-BTC", "1h")  # a second market, its own state
    await first.stop()

    again = shown_chart(qtbot, backbone, settings=QSettings(str(tmp_path / "chart.ini"), QSettings.Format.IniFormat))
    again.start()
    await wait_until(again.is_ready)
    assert (again.market, again.timeframe) == ("KRW-BTC", "1h")  # the last market shown
    assert await again.open("KRW-ETH")
    assert again.timeframe == "5m"
    assert again.indicator_menu.checks["SMA"].isChecked() and again.indicator_menu.periods["SMA"].text() == "30"
    assert "SMA 30" in again.view.overlay_curves
    assert again.view.log_scale and again.log_button.isChecked()
    assert abs(again.view.visible_candles() - 80) <= 4
    await again.stop()


async def test_order_book_and_trades_beside_the_chart_and_a_click_draws_a_price_line(
    qtbot: Any, backbone: MarketDataBackbone
) -> None:
    chart = shown_chart(qtbot, backbone)
    assert await chart.open("KRW-BTC", "1m")
    table = chart.book.book_table
    await wait_until(lambda: table.item(0, 0) is not None and chart.book.trades_table.rowCount() >= 5)
    assert table.rowCount() == 2 * BOOK_DEPTH
    best_ask = table.item(BOOK_DEPTH - 1, 0).text()
    best_bid = table.item(BOOK_DEPTH, 0).text()
    assert float(best_ask.replace(",", "")) > float(best_bid.replace(",", ""))
    assert chart.book.spread_label.text().startswith("Spread ")
    assert "Total ask" in chart.book.totals_label.text() and "Total bid" in chart.book.totals_label.text()
    colours = {chart.book.trades_table.item(r, 1).foreground().color().name() for r in range(chart.book.trades_table.rowCount())}
    assert colours <= {RISE, FALL}
    rect = table.visualItemRect(table.item(BOOK_DEPTH, 0))
    qtbot.mouseClick(table.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=rect.center())
    assert len(chart.view.price_lines) == 1
    assert chart.view.price_lines[0].value() == float(best_bid.replace(",", ""))
    await chart.stop()


async def test_the_live_candles_volume_equals_the_exchanges_once_it_closes(
    qtbot: Any, backbone: MarketDataBackbone
) -> None:
    chart = shown_chart(qtbot, backbone)
    assert await chart.open("KRW-BTC", "1s")  # liquid, and a candle closes every second
    opened = float(chart.series.x[-1])
    await wait_until(lambda: float(chart.series.x[-1]) >= opened + 3)
    exchange = await backbone.get_candle_data("KRW-BTC", "1s", count=30)
    assert exchange.candles is not None
    final = dict(zip(exchange.candles.start_ms / 1000.0, exchange.candles.volume, strict=True))
    closed = [start for start in (opened, opened + 1, opened + 2) if start in final]
    assert closed

    def held(start: float) -> float:
        return float(chart.series.volume[np.searchsorted(chart.series.x, start)])

    # Closed candles are settled within a moment of closing (most are exact at once).
    await wait_until(lambda: all(held(start) == pytest.approx(final[start], abs=1e-7) for start in closed), within=5)
    await chart.stop()


async def test_a_view_on_the_live_candle_follows_new_candles_and_a_view_on_history_stays(
    qtbot: Any, backbone: MarketDataBackbone
) -> None:
    chart = shown_chart(qtbot, backbone)
    assert await chart.open("KRW-BTC", "1s")
    first = float(chart.series.x[-1])
    await wait_until(lambda: float(chart.series.x[-1]) > first and chart.view.x_range()[1] > first + 4)
    low, high = chart.view.x_range()
    assert low < float(chart.series.x[-1]) < high
    # Looking at history: new candles do not pull the view away.
    chart.view.set_x_range(float(chart.series.x[50]), float(chart.series.x[150]))
    looking = chart.view.x_range()
    latest = float(chart.series.x[-1])
    await wait_until(lambda: float(chart.series.x[-1]) > latest)
    await wait_until(lambda: not chart._redraw.isActive())
    assert chart.view.x_range() == looking
    await chart.stop()


async def test_the_time_labels_sit_under_the_lowest_pane(qtbot: Any, backbone: MarketDataBackbone) -> None:
    chart = shown_chart(qtbot, backbone)
    assert await chart.open("KRW-BTC", "1m")

    def labelled(plot: Any) -> bool:
        axis = plot.getAxis("bottom")
        return bool(axis.style["showValues"]) and axis.height() > 0 and plot.isVisible()

    assert labelled(chart.view.volume_plot) and not chart.view.lower_plot.isVisible()
    assert not labelled(chart.view.price_plot)
    chart.indicator_menu.checks["RSI"].setChecked(True)
    await wait_until(lambda: labelled(chart.view.lower_plot))  # once the layout has made room
    assert not labelled(chart.view.volume_plot)
    assert chart.view.time_axis is chart.view.lower_plot.getAxis("bottom")
    chart.indicator_menu.checks["RSI"].setChecked(False)
    await wait_until(lambda: labelled(chart.view.volume_plot))
    assert not chart.view.lower_plot.isVisible()
    await chart.stop()
