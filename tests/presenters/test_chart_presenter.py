"""The chart presenter on the simulator, with no Qt: live volume, history fill and its start, order book."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from backbone import MarketDataBackbone
from ui.models.chart.order_book import BOOK_DEPTH, BookView, TapeRow
from ui.models.chart.series import CandleSeries
from ui.models.chart.studies import IndicatorSpec, compute_all, warm_up
from ui.presenters.chart import INITIAL_COUNT, ChartPresenter


class RecordingDisplay:
    """Stands in for the widget: remembers what the presenter told it."""

    def __init__(self) -> None:
        self.series: CandleSeries | None = None
        self.changes = 0
        self.loading: list[str | None] = []
        self.history_start: float | None = None
        self.errors: list[str] = []
        self.book: BookView | None = None
        self.trades: list[TapeRow] = []
        self.markets: list[dict[str, Any]] = []

    def show_series(self, series: CandleSeries) -> None:
        self.series = series

    def series_changed(self) -> None:
        self.changes += 1

    def show_loading(self, text: str | None) -> None:
        self.loading.append(text)

    def show_history_start(self, x: float | None) -> None:
        self.history_start = x

    def show_error(self, text: str) -> None:
        self.errors.append(text)

    def show_book(self, book: BookView) -> None:
        self.book = book

    def show_trades(self, rows: Sequence[TapeRow]) -> None:
        self.trades = list(rows)

    def show_markets(self, markets: Sequence[dict[str, Any]]) -> None:
        self.markets = list(markets)


async def wait_until(condition: Callable[[], bool], within: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(0.02)


async def test_live_candles_hold_exactly_the_exchanges_volume_once_they_close(backbone: MarketDataBackbone) -> None:
    # One-second candles of a liquid market close every second; no reconciliation, so the
    # volumes are what the live trades alone built (the candle forming at open included).
    display = RecordingDisplay()
    presenter = ChartPresenter(backbone, display, reconcile_delay_s=None)
    assert await presenter.open("KRW-BTC", "1s")
    series = presenter.series
    forming_at_open = float(series.x[-1])
    await wait_until(lambda: float(series.x[-1]) >= forming_at_open + 8)
    closed = series.x[(series.x >= forming_at_open) & (series.x < series.x[-1])]
    exchange = await backbone.get_candle_data("KRW-BTC", "1s", count=20)
    assert exchange.success
    final = CandleSeries.columns_from(exchange.candles)
    by_start = dict(zip(final["x"], final["volume"], strict=True))
    assert len(closed) >= 3
    for start in closed:
        held = float(series.volume[np.searchsorted(series.x, start)])
        # The simulator sums unrounded volumes into candles; its trades carry 8 decimals.
        assert abs(held - by_start[start]) <= 1e-7, start
    await presenter.stop()


async def test_a_closed_candle_takes_the_exchanges_final_values(backbone: MarketDataBackbone) -> None:
    display = RecordingDisplay()
    presenter = ChartPresenter(backbone, display, reconcile_delay_s=0.2)
    assert await presenter.open("KRW-ETH", "1s")
    series = presenter.series
    # Corrupt the forming candle as a lost trade would, then let it close.
    forming = float(series.x[-1])
    series.volume[-1] = 0.0
    await wait_until(lambda: float(series.x[-1]) > forming)
    changes = display.changes
    await wait_until(lambda: display.changes > changes and not presenter.tasks.running("reconcile"))
    exchange = await backbone.get_candle_data("KRW-ETH", "1s", count=20)
    final = CandleSeries.columns_from(exchange.candles)
    index = int(np.searchsorted(series.x, forming))
    assert series.volume[index] == final["volume"][np.searchsorted(final["x"], forming)]
    await presenter.stop()


async def test_a_fling_far_past_the_left_edge_loads_until_the_view_is_filled(backbone: MarketDataBackbone) -> None:
    display = RecordingDisplay()
    presenter = ChartPresenter(backbone, display)
    assert await presenter.open("KRW-BTC", "1d")
    assert len(presenter.series) == INITIAL_COUNT
    oldest = float(presenter.series.x[0])
    left = oldest - 1000 * 86400.0  # one gesture, three pages past the data
    presenter.want_history(left)
    assert display.loading[-1] == "Loading older history…"
    await wait_until(lambda: not presenter.tasks.running("older"))
    assert display.loading[-1] is None
    assert float(presenter.series.x[0]) <= left + 5 * 86400.0
    assert len(presenter.series) >= INITIAL_COUNT + 1000
    assert display.history_start is None  # more history exists
    assert not display.errors
    await presenter.stop()


async def test_the_start_of_a_markets_history_is_marked(backbone: MarketDataBackbone) -> None:
    display = RecordingDisplay()
    presenter = ChartPresenter(backbone, display)
    assert await presenter.open("KRW-BTC", "1w")
    presenter.want_history(float(presenter.series.x[0]) - 3000 * 86400.0)
    await wait_until(lambda: display.history_start is not None)
    assert display.history_start == float(presenter.series.x[0])
    assert presenter.history_exhausted
    assert display.loading[-1] is None or not presenter.tasks.running("older")
    calls = len(display.loading)
    presenter.want_history(float(presenter.series.x[0]) - 100 * 86400.0)
    assert len(display.loading) == calls  # nothing older to ask for
    await presenter.stop()


async def test_order_book_and_trades_arrive_with_the_chart(backbone: MarketDataBackbone) -> None:
    display = RecordingDisplay()
    presenter = ChartPresenter(backbone, display)
    assert await presenter.open("KRW-BTC", "1m")
    await wait_until(lambda: display.book is not None and len(display.trades) >= 10)
    book = display.book
    assert book is not None
    assert len(book.asks) == len(book.bids) == BOOK_DEPTH
    assert book.asks[-1].price > book.bids[0].price  # best ask over best bid
    assert book.spread == book.asks[-1].price - book.bids[0].price > 0
    assert max(level.share for level in book.levels) == 1.0
    times = [row.time_kst for row in display.trades]
    assert times == sorted(times, reverse=True)  # newest first
    await presenter.stop()


async def test_an_unknown_market_is_refused_with_its_name(backbone: MarketDataBackbone) -> None:
    display = RecordingDisplay()
    presenter = ChartPresenter(backbone, display)
    await backbone.list_markets()
    assert not await presenter.open("KRW-NOPE", "1m")
    assert display.errors and "KRW-NOPE" in display.errors[-1]
    assert not await presenter.open("KRW-BTC", "2m")
    assert "2m" in display.errors[-1] and "1s" in display.errors[-1]
    await presenter.stop()


async def test_indicator_lines_after_older_history_equal_a_full_recompute(backbone: MarketDataBackbone) -> None:
    """When older candles arrive only their lines and each line's warm-up are computed; what
    the chart already drew past the warm-up stays as it was, and the whole equals a full
    recompute to float rounding."""
    presenter = ChartPresenter(backbone, RecordingDisplay())
    assert await presenter.open("KRW-BTC", "1d")
    presenter.tasks.cancel("live")  # a live trade would move the last candle too: this is about history
    specs = tuple(IndicatorSpec(kind, periods) for kind, periods in (("SMA", (20,)), ("BB", (20,)), ("RSI", (2,)), ("EMA", (50,))))
    presenter.set_indicators(specs)
    before = presenter.indicator_lines()
    added = await presenter.load_older()
    assert added > 0
    after = presenter.indicator_lines()
    full = compute_all(specs, presenter.series)
    for spec in specs:
        for name, values in full[spec].items():
            scale = float(np.nanmax(np.abs(values)))
            np.testing.assert_allclose(after[spec][name], values, rtol=0, atol=1e-9 * scale, equal_nan=True)
        if added + warm_up(spec) < len(presenter.series):
            for name, values in before[spec].items():
                np.testing.assert_array_equal(after[spec][name][added + warm_up(spec) :], values[warm_up(spec) :])
    await presenter.stop()
