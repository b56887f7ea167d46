"""The chart's Qt-free model: order book rows, the trade list, indicator choices, remembered
state, navigation rules and the legend, without a QApplication."""

from __future__ import annotations

import numpy as np
import pytest

from ui.models.chart import navigation
from ui.models.chart.legend import legend_text
from ui.models.chart.order_book import TradeTape, book_view
from ui.models.chart.series import COLUMNS, CandleSeries
from ui.models.chart.state import ChartState
from ui.models.chart.studies import (
    IndicatorSpec,
    SeriesChanges,
    bring_up_to_date,
    compute,
    extend_newer,
    extend_older,
    warm_up,
)


def _series(n: int = 50) -> CandleSeries:
    close = 100.0 + np.arange(n, dtype=float)
    return CandleSeries.from_arrays(
        "1m", x=1_800_000_000.0 + 60.0 * np.arange(n), open=close - 1, high=close + 2, low=close - 2,
        close=close, volume=np.full(n, 3.0),
    )


def test_book_rows_run_from_the_highest_ask_down_to_the_lowest_bid_with_bar_shares() -> None:
    book = book_view(
        {
            "total_ask_size": 9.0,
            "total_bid_size": 7.0,
            "orderbook_units": [
                {"ask_price": 101.0, "ask_size": 1.0, "bid_price": 100.0, "bid_size": 4.0},
                {"ask_price": 102.0, "ask_size": 2.0, "bid_price": 99.0, "bid_size": 0.5},
            ],
        }
    )
    assert [level.price for level in book.levels] == [102.0, 101.0, 100.0, 99.0]
    assert [level.share for level in book.levels] == [0.5, 0.25, 1.0, 0.125]
    assert book.spread == 1.0 and book.spread_percent == pytest.approx(1.0)
    assert (book.total_ask, book.total_bid) == (9.0, 7.0)


def test_the_trade_list_keeps_each_trade_once_newest_first_whatever_the_arrival_order() -> None:
    tape = TradeTape(length=3)

    def trade(ms: int, ident: int, side: str = "BID") -> dict[str, object]:
        return {"timestamp": ms, "sequential_id": ident, "trade_price": 1.0, "trade_volume": 2.0, "ask_bid": side}

    assert tape.add([trade(3_000, 3), trade(1_000, 1, "ASK")]) == 2
    assert tape.add([trade(2_000, 2), trade(3_000, 3)]) == 1  # the repeat is dropped
    assert tape.add([trade(4_000, 4)]) == 1
    rows = tape.rows()
    assert [row.trade_id for row in rows] == [4, 3, 2]  # the oldest fell off
    assert rows[0].time_kst == "09:00:04" and rows[0].buy


def test_indicator_choices_name_the_bad_field() -> None:
    assert IndicatorSpec.parse("MACD", "12, 26, 9").periods == (12, 26, 9)
    with pytest.raises(ValueError, match="SMA period must be a whole number from 1 to 1000"):
        IndicatorSpec.parse("SMA", "0")
    with pytest.raises(ValueError, match="MACD takes 3 period"):
        IndicatorSpec.parse("MACD", "12")
    with pytest.raises(ValueError, match="not one of"):
        IndicatorSpec("WMA", (10,))


def test_every_indicator_line_is_as_long_as_the_series() -> None:
    series = _series()
    for kind in ("SMA", "EMA", "BB", "RSI", "MACD", "VOLMA"):
        for values in compute(IndicatorSpec.default(kind), series).values():
            assert len(values) == len(series)


def test_chart_state_survives_a_round_trip_and_a_bad_one_names_the_field() -> None:
    state = ChartState("5m", (IndicatorSpec("SMA", (30,)), IndicatorSpec.default("RSI")), 80, True)
    assert ChartState.from_json(state.to_json()) == state
    with pytest.raises(ValueError, match="timeframe '2m' is not one of"):
        ChartState.from_json('{"timeframe": "2m"}')
    with pytest.raises(ValueError, match="not JSON"):
        ChartState.from_json("{")


def test_navigation_keeps_a_small_margin_and_asks_for_history_near_the_left_edge() -> None:
    series = _series()
    assert navigation.right_limit(series) == series.x[-1] + 60.0 * (1 + navigation.FUTURE_MARGIN_CANDLES)
    assert navigation.needs_older(series, float(series.x[2]), exhausted=False)
    assert not navigation.needs_older(series, float(series.x[2]), exhausted=True)
    assert not navigation.needs_older(series, float(series.x[20]), exhausted=False)


def test_the_legend_shows_the_hovered_candle_else_the_last() -> None:
    series = _series()
    assert legend_text("KRW-BTC", "1m", series).endswith("O 148  H 151  L 147  C 149  (+0.68%)  V 3.00")
    assert "C 110  " in legend_text("KRW-BTC", "1m", series, 10)
    assert legend_text("KRW-ETH", "5m", CandleSeries("5m")) == "KRW-ETH 5m"


def _random_walk(n: int, seed: int) -> CandleSeries:
    rng = np.random.default_rng(seed)
    close = 60_000_000 * np.exp(np.cumsum(rng.normal(0, 0.002, n)))
    open_ = np.concatenate(([close[0]], close[:-1]))
    return CandleSeries.from_arrays(
        "1m", x=1_700_000_040.0 + 60.0 * np.arange(n), open=open_, high=np.maximum(open_, close) * 1.001,
        low=np.minimum(open_, close) * 0.999, close=close, volume=rng.gamma(2.0, 0.5, n),
    )


@pytest.mark.parametrize(
    "spec",
    [IndicatorSpec.default(kind) for kind in ("SMA", "EMA", "BB", "RSI", "MACD", "VOLMA")]
    + [IndicatorSpec("EMA", (1000,)), IndicatorSpec("RSI", (2,)), IndicatorSpec("MACD", (3, 200, 50)),
       IndicatorSpec("SMA", (1,))],
    ids=lambda spec: spec.label,
)
def test_lines_after_older_candles_equal_a_full_recompute(spec: IndicatorSpec) -> None:
    """Only the older candles and each line's warm-up are computed when history arrives; the
    result equals computing everything again to float rounding (1e-9 of the line's scale)."""
    whole = _random_walk(40_000, seed=3)
    added = 1_000
    later = CandleSeries.from_arrays("1m", **{name: getattr(whole, name)[added:] for name in COLUMNS})
    extended = extend_older(spec, compute(spec, later), whole, added)
    full = compute(spec, whole)
    assert added + warm_up(spec) < len(whole)  # the shortcut was taken, not a full recompute
    for name, values in full.items():
        assert len(extended[name]) == len(whole)
        np.testing.assert_array_equal(np.isnan(extended[name]), np.isnan(values))
        scale = float(np.nanmax(np.abs(values)))
        np.testing.assert_allclose(extended[name], values, rtol=0, atol=1e-9 * scale, equal_nan=True)


@pytest.mark.parametrize(
    "spec",
    [IndicatorSpec.default(kind) for kind in ("SMA", "EMA", "BB", "RSI", "MACD", "VOLMA")]
    + [IndicatorSpec("EMA", (1000,)), IndicatorSpec("RSI", (2,)), IndicatorSpec("SMA", (1,))],
    ids=lambda spec: spec.label,
)
@pytest.mark.parametrize("change", ["the live candle moves", "a new candle opens", "the last three are replaced"])
def test_lines_after_a_live_change_equal_a_full_recompute(spec: IndicatorSpec, change: str) -> None:
    """The live candle only recomputes each line from its warm-up before the change; the rest
    is kept, and the whole equals computing everything again to float rounding."""
    whole = _random_walk(40_000, seed=5)
    before = CandleSeries.from_arrays("1m", **{name: getattr(whole, name)[:-1] for name in COLUMNS})
    lines = compute(spec, before)
    if change == "the live candle moves":
        now, changed_from = before, len(before) - 1
        now.close[-1] *= 1.01
        now.volume[-1] += 3.0
    elif change == "a new candle opens":
        now, changed_from = whole, len(whole) - 1
    else:
        now, changed_from = before, len(before) - 3
        now.close[-3:] *= 0.99
    extended = extend_newer(spec, lines, now, changed_from)
    full = compute(spec, now)
    assert changed_from - warm_up(spec) > 0  # the shortcut was taken, not a full recompute
    for name, values in full.items():
        np.testing.assert_array_equal(extended[name][:changed_from], lines[name][:changed_from])
        scale = float(np.nanmax(np.abs(values)))
        np.testing.assert_allclose(extended[name], values, rtol=0, atol=1e-9 * scale, equal_nan=True)


def test_series_changes_bring_lines_up_to_date_however_they_combine() -> None:
    """Older history, then a live change, then older history again: the lines equal a full
    recompute; anything else (a new market) computes them whole."""
    whole = _random_walk(30_000, seed=9)
    specs = (IndicatorSpec.default("EMA"), IndicatorSpec.default("BB"), IndicatorSpec.default("RSI"))
    part = CandleSeries.from_arrays("1m", **{name: getattr(whole, name)[2_000:-1] for name in COLUMNS})
    lines = {spec: compute(spec, part) for spec in specs}
    changes = SeriesChanges()
    changes.older(1_000)
    changes.newer(len(part) + 1_000 - 1)  # the live candle moved
    now = CandleSeries.from_arrays("1m", **{name: getattr(whole, name)[1_000:-1] for name in COLUMNS})
    now.close[-1] *= 1.02
    changes.older(1_000)
    now = CandleSeries.from_arrays(
        "1m", **{name: np.concatenate((getattr(whole, name)[:1_000], getattr(now, name))) for name in COLUMNS}
    )
    assert changes.prepended == 2_000 and changes.changed_from == len(now) - 1
    updated = bring_up_to_date(specs, lines, now, changes)
    for spec in specs:
        for name, values in compute(spec, now).items():
            scale = float(np.nanmax(np.abs(values)))
            np.testing.assert_allclose(updated[spec][name], values, rtol=0, atol=1e-9 * scale, equal_nan=True)
    assert bring_up_to_date(specs, lines, now, SeriesChanges(everything=True)).keys() == set(specs)
