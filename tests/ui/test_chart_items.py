"""The candle items draw only the visible range, decimate when dense, and bound their data."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6 import QtCore, QtGui, QtWidgets

from backbone import CandleColumns
from ui.chart.candle_item import CandlestickItem, VolumeItem
from ui.colors import FALL, RISE
from ui.models.chart.series import CandleSeries


def synthetic_series(n: int, seed: int = 5) -> CandleSeries:
    rng = np.random.default_rng(seed)
    close = 50_000_000 * np.exp(np.cumsum(rng.normal(0, 0.001, n)))
    open_ = np.concatenate(([close[0]], close[:-1]))
    high = np.maximum(open_, close) * 1.0005
    low = np.minimum(open_, close) * 0.9995
    x = 1_700_000_040.0 + 60.0 * np.arange(n)
    return CandleSeries.from_arrays("1m", x=x, open=open_, high=high, low=low, close=close,
                                    volume=rng.uniform(0.1, 2.0, n))


def render(widget: pg.PlotWidget, width: int = 800, height: int = 400) -> QtGui.QImage:
    widget.resize(width, height)
    image = QtGui.QImage(width, height, QtGui.QImage.Format.Format_ARGB32)
    image.fill(QtGui.QColor("black"))
    painter = QtGui.QPainter(image)
    widget.render(painter)
    painter.end()
    return image


def colour_count(image: QtGui.QImage, colour: str) -> int:
    target = QtGui.QColor(colour).rgb() & 0xFFFFFF
    ptr = image.constBits()
    ptr.setsize(image.sizeInBytes())
    pixels = np.frombuffer(ptr, np.uint32).reshape(image.height(), -1)[:, : image.width()]
    return int(np.count_nonzero((pixels & 0xFFFFFF) == target))


def test_bounding_rect_covers_all_candles(qtbot: object) -> None:
    series = synthetic_series(500)
    item = CandlestickItem(series)
    rect = item.boundingRect()
    assert rect.left() == pytest.approx(series.x[0])
    assert rect.right() == pytest.approx(series.x[-1] + 60)
    assert rect.top() == pytest.approx(series.low.min())
    assert rect.bottom() == pytest.approx(series.high.max())
    assert item.dataBounds(1, orthoRange=(series.x[10], series.x[20])) == pytest.approx(
        (series.low[9:21].min(), series.high[9:21].max())
    )


def test_paints_only_the_visible_candles_in_both_colours(qtbot: object) -> None:
    series = synthetic_series(100_000)
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    item = CandlestickItem(series)
    widget.addItem(item)
    widget.setXRange(series.x[50_000], series.x[50_100], padding=0)
    image = render(widget)
    assert 95 <= item.painted_candles <= 110  # a hundred visible of 100,000
    assert colour_count(image, RISE) > 200
    assert colour_count(image, FALL) > 200


def test_decimates_when_more_candles_than_pixels(qtbot: object) -> None:
    series = synthetic_series(100_000)
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    item = CandlestickItem(series)
    volume = VolumeItem(series)
    widget.addItem(item)
    widget.addItem(volume)
    widget.setXRange(series.x[0], series.x[-1], padding=0)
    render(widget, 800, 400)
    assert 0 < item.painted_candles <= 800  # buckets, not 100,000 candles
    assert 0 < volume.painted_candles <= 800


def test_live_trade_updates_then_appends() -> None:
    series = synthetic_series(3)
    last_start_ms = int(series.x[-1] * 1000)
    assert series.apply_trade(1.0, last_start_ms + 1_000, 0.5) == "updated"
    assert series.low[-1] == 1.0 and series.close[-1] == 1.0
    assert series.apply_trade(2.0, last_start_ms + 61_000, 0.25) == "appended"
    assert len(series) == 4 and series.open[-1] == 2.0 and series.volume[-1] == 0.25
    assert series.apply_trade(3.0, last_start_ms - 120_000) == "ignored"


def test_merge_prepends_older_history_without_duplicates() -> None:
    series = CandleSeries("1m")
    newer = _candles(range(3, 6))
    older = _candles(range(0, 4))
    series.replace(newer)
    assert series.merge(older) == 3
    assert list(series.close) == [10, 11, 12, 13, 14, 15]
    assert series.merge(older) == 0


def _candles(minutes: range) -> CandleColumns:
    """Candles at 2024-01-01 00:MM UTC whose every price is 10 + MM."""
    start_ms = [1_704_067_200_000 + 60_000 * m for m in minutes]
    prices = [10.0 + m for m in minutes]
    return CandleColumns.from_ohlcv(start_ms, prices, prices, prices, prices, [1.0] * len(prices))


def test_item_survives_an_empty_series(qtbot: object) -> None:
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    item = CandlestickItem(CandleSeries("1m"))
    widget.addItem(item)
    render(widget, 200, 100)
    assert item.boundingRect() == QtCore.QRectF()


def test_price_extent_of_a_wide_range_matches_a_full_scan() -> None:
    """Autorange reads precomputed block extremes on wide ranges; the edges that cut a block
    must still count, so the answer equals a scan of every visible candle."""
    series = synthetic_series(10_000, seed=11)
    series.high[5_003] = series.high.max() * 1.5  # in a partial block at the left edge
    series.low[9_990] = series.low.min() * 0.5  # in the partial tail past the last whole block
    candles, volumes = CandlestickItem(series), VolumeItem(series)
    for i0, i1 in ((5_003, 9_991), (1, 9_999), (2_050, 2_060), (0, 10_000), (4_000, 9_000)):
        view = (float(series.x[i0]) + series.width, float(series.x[i1 - 1]))
        j0, j1 = series.visible_range(*view)
        assert candles.dataBounds(1, orthoRange=view) == (
            float(series.low[j0:j1].min()), float(series.high[j0:j1].max())
        )
        assert volumes.dataBounds(1, orthoRange=view) == (0.0, float(series.volume[j0:j1].max()))


def test_live_change_reaches_the_price_extent_after_refresh() -> None:
    series = synthetic_series(5_000)
    item = CandlestickItem(series)
    view = (float(series.x[0]), float(series.x[-1]) + series.width)
    before = item.dataBounds(1, orthoRange=view)
    series.high[-1] = before[1] * 2
    item.refresh()
    assert item.dataBounds(1, orthoRange=view) == (before[0], before[1] * 2)


def test_panning_does_not_rebuild_the_hidden_time_axis_label(qtbot: object) -> None:
    """Epoch seconds take no SI prefix; the axis must not re-typeset its label every frame."""
    from ui.chart.chart_view import ChartView

    view = ChartView()
    qtbot.addWidget(view)  # type: ignore[attr-defined]
    view.set_series(synthetic_series(2_000))
    axis = view.time_axis
    typeset: list[str] = []
    original = axis.label.setHtml
    axis.label.setHtml = lambda html: (typeset.append(html), original(html))[1]
    low, high = view.x_range()
    for step in range(5):
        view.set_x_range(low - 600.0 * step, high - 600.0 * step)
    render(view)
    assert typeset == []


def test_the_chart_axes_draw_exactly_what_pyqtgraphs_axis_draws(qtbot: object) -> None:
    """The axes skip pyqtgraph's per-frame picture recording, not one pixel of its ticks, grid
    lines or labels."""
    from ui.chart.axis_drawing import DirectAxis

    def shot(axis: type[pg.AxisItem]) -> np.ndarray:
        widget = pg.PlotWidget(axisItems={"bottom": axis("bottom"), "right": axis("right")})
        qtbot.addWidget(widget)  # type: ignore[attr-defined]
        widget.showAxis("right")
        widget.hideAxis("left")
        widget.showGrid(x=True, y=True, alpha=0.15)
        widget.setXRange(1_700_000_000, 1_700_090_000, padding=0)
        widget.setYRange(49_000_000, 51_300_000, padding=0)
        widget.show()
        image = render(widget)
        ptr = image.constBits()
        ptr.setsize(image.sizeInBytes())
        return np.frombuffer(ptr, np.uint32).reshape(image.height(), -1).copy()

    ours, theirs = shot(DirectAxis), shot(pg.AxisItem)
    assert np.count_nonzero(theirs != theirs[0, 0]) > 1_000  # there is something drawn to compare
    assert np.array_equal(ours, theirs)


def test_the_chart_axes_tick_values_and_label_sizes_are_pyqtgraphs_to_the_bit(qtbot: object) -> None:
    """Tick values from plain arithmetic and label sizes measured once are exactly what
    pyqtgraph computes every frame, over prices, volumes, indicator ranges and log axes."""
    from ui.chart.axis_drawing import _LabelMeasure
    from ui.chart.price_axis import PriceAxis

    rng = np.random.default_rng(2)
    for axis in (PriceAxis(), PriceAxis(compact=True)):
        for log in (False, True):
            axis.setLogMode(False, log)
            for _ in range(400):
                low = float(rng.choice([1e-6, 1e-2, 1.0, 1e3, 6e7])) * float(rng.uniform(0.5, 2.0))
                high = low + low * float(rng.uniform(1e-6, 3.0))
                if log:
                    low, high = np.log10(low), np.log10(high)
                size = float(rng.uniform(20.0, 1_000.0))
                assert axis.tickValues(low, high, size) == pg.AxisItem.tickValues(axis, low, high, size)
    font = QtGui.QFont()
    picture = QtGui.QPicture()
    painter = QtGui.QPainter(picture)
    painter.setFont(font)
    measure = _LabelMeasure(font)
    box, flags = QtCore.QRectF(0, 0, 100, 100), QtCore.Qt.AlignmentFlag.AlignCenter
    for text in ("60,512,000", "0.00012345", "12.5K", "60,512,000", "03-14"):
        measured = measure.boundingRect(box, flags, text)
        assert measured == painter.boundingRect(box, flags, text)
        measured.setHeight(1.0)  # pyqtgraph shrinks what it is given; the memory keeps its own
    assert measure.boundingRect(box, flags, "60,512,000") == painter.boundingRect(box, flags, "60,512,000")
    painter.end()
    measure.end()


def _spec_values(specs: tuple | None) -> tuple | None:
    """Draw specifications as plain numbers (pens by colour and width)."""
    if specs is None:
        return None
    (pen, start, end), ticks, texts = specs
    colour = QtGui.QColor.NameFormat.HexArgb
    return (
        (pen.color().name(colour), pen.widthF(), start.x(), start.y(), end.x(), end.y()),
        [(tick_pen.color().name(colour), a.x(), a.y(), b.x(), b.y()) for tick_pen, a, b in ticks],
        [(rect.x(), rect.y(), rect.width(), rect.height(), int(flags), text) for rect, flags, text in texts],
    )


@pytest.mark.parametrize("orientation", ["right", "bottom", "left", "top"])
def test_the_chart_axes_draw_specifications_are_pyqtgraphs(qtbot: object, orientation: str) -> None:
    """The axes compute their ticks, grid lines and labels in fewer steps than pyqtgraph and
    end with exactly its specifications, over prices, times, grids on and off, labels
    shown and hidden, and any size."""
    from ui.chart.axis_drawing import _LabelMeasure
    from ui.chart.price_axis import PriceAxis
    from ui.chart.time_axis import KstTimeAxis

    rng = np.random.default_rng(4)
    kinds = {"right": PriceAxis, "bottom": KstTimeAxis, "left": PriceAxis, "top": KstTimeAxis}
    widget = pg.PlotWidget(axisItems={orientation: kinds[orientation](orientation)})
    qtbot.addWidget(widget)  # type: ignore[attr-defined]
    widget.showAxis(orientation)
    widget.show()
    axis = widget.getAxis(orientation)
    for trial in range(40):
        low = float(rng.choice([0.5, 1e3, 6e7, 1.7e9])) * float(rng.uniform(0.5, 2.0))
        high = low + low * float(rng.uniform(1e-5, 2.0))
        widget.setXRange(low, high, padding=0)
        widget.setYRange(low, high, padding=0)
        axis.setStyle(showValues=trial % 5 != 0)
        axis.setGrid(False if trial % 3 == 0 else 38)
        widget.resize(int(rng.integers(200, 1_200)), int(rng.integers(150, 800)))
        QtWidgets.QApplication.processEvents()
        picture = QtGui.QPicture()
        painter = QtGui.QPainter(picture)
        painter.setFont(axis._font())
        theirs = _spec_values(pg.AxisItem.generateDrawSpecs(axis, painter))
        painter.end()
        measure = _LabelMeasure(axis._font())
        ours = _spec_values(axis.generateDrawSpecs(measure))
        measure.end()
        assert ours == theirs, f"trial {trial}: {low}..{high}"


def test_a_zoomed_out_indicator_line_still_reaches_its_highest_and_lowest_value(qtbot: object) -> None:
    """300,000 candles on 1,200 pixels: the line is decimated to about two points a pixel, yet a
    one-candle peak and trough are drawn where they are."""
    from ui.chart.chart_view import ChartView
    from ui.colors import SERIES
    from ui.models.chart.studies import IndicatorSpec
    from ui.models.indicators import rsi

    series = synthetic_series(300_000)
    spec = IndicatorSpec.default("RSI")
    values = rsi(series.close, 14)
    peak, trough = 123_457, 234_567
    values[peak], values[trough] = 99.5, 0.5
    view = ChartView()
    qtbot.addWidget(view)  # type: ignore[attr-defined]
    view.resize(1200, 700)
    view.show()
    view.set_series(series)
    view.set_indicators({spec: {spec.label: values}})
    view.set_x_range(float(series.x[0]), float(series.x[-1]))
    curve = view.lower_curves[spec.label]
    x, y = curve.getData()
    assert len(x) <= 2 * view.lower_plot.getViewBox().width() + 3
    assert np.nanmax(y) == 99.5 and np.nanmin(y) == 0.5
    image = render(view, 1200, 700)
    box = view.lower_plot.getViewBox()
    colour = QtGui.QColor(SERIES[0]).rgb()
    for index, value in ((peak, 99.5), (trough, 0.5)):
        spot = view.mapFromScene(box.mapViewToScene(QtCore.QPointF(float(series.x[index]) + 30.0, value)))
        around = {image.pixel(spot.x() + dx, spot.y() + dy) for dx in range(-2, 3) for dy in range(-1, 2)}
        assert colour in around, f"no line at {value} on screen"


def test_older_history_extends_a_lines_extremes_and_both_parts_keep_their_peaks(qtbot: object) -> None:
    """1,000 older candles arrive under a drawn RSI: the line's buckets of the old values are
    kept where they were (only the new values and the warm-up they changed are bucketed), and
    zoomed out the line still reaches a one-candle peak in the new part and a trough in the old."""
    from ui.chart.chart_view import ChartView
    from ui.models.chart.series import COLUMNS
    from ui.models.chart.studies import IndicatorSpec, compute, extend_older

    whole = synthetic_series(201_000)
    series = CandleSeries.from_arrays("1m", **{name: getattr(whole, name)[1_000:] for name in COLUMNS})
    spec = IndicatorSpec.default("RSI")
    view = ChartView()
    qtbot.addWidget(view)  # type: ignore[attr-defined]
    view.resize(1200, 700)
    view.show()
    lines = compute(spec, series)
    lines[spec.label][150_000] = 0.5  # a trough among the old values
    view.set_series(series)
    view.set_indicators({spec: lines})
    curve = view.lower_curves[spec.label]
    before = curve._extremes
    grown = extend_older(spec, lines, whole, 1_000)
    grown[spec.label][500] = 99.5  # a peak among the new ones
    view.set_series(whole)
    view.set_indicators({spec: grown})
    view.set_x_range(float(whole.x[0]), float(whole.x[-1]))
    extended = curve._extremes
    assert extended.shift == before.shift - 1_000  # the old values kept their buckets
    last = len(before._lows[512]) - 1
    assert extended._lows[512][-1] == before._lows[512][last] and extended._highs[8][-1] == before._highs[8][-1]
    x, y = curve.getData()
    assert np.nanmax(y) == 99.5 and np.nanmin(y) == 0.5
    assert len(x) <= 2 * view.lower_plot.getViewBox().width() + 3


def test_an_indicator_line_leaves_a_gap_where_it_has_no_value(qtbot: object) -> None:
    """A warm-up or a hole in a line is not bridged: nothing is drawn across it."""
    from ui.chart.line_item import IndicatorLine

    series = synthetic_series(400)
    values = np.full(400, 50.0)
    values[:40] = np.nan  # the warm-up
    values[200:260] = np.nan  # a hole
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)  # type: ignore[attr-defined]
    line = IndicatorLine("test", pg.mkPen(RISE, width=1))
    line.set_line(series, values)
    widget.addItem(line)
    widget.setXRange(float(series.x[0]), float(series.x[-1]) + 60.0, padding=0)
    widget.setYRange(0.0, 100.0, padding=0)
    widget.show()
    image = render(widget)
    box = widget.getViewBox()

    def drawn_at(index: int) -> bool:
        spot = widget.mapFromScene(box.mapViewToScene(QtCore.QPointF(float(series.x[index]) + 30.0, 50.0)))
        return any(QtGui.QColor(image.pixel(spot.x(), spot.y() + dy)).name() == RISE for dy in (-1, 0, 1))

    assert drawn_at(100) and drawn_at(300)
    assert not drawn_at(20) and not drawn_at(230)


def test_overlay_lines_follow_the_price_axis_onto_a_log_scale(qtbot: object) -> None:
    from ui.chart.chart_view import ChartView
    from ui.models.chart.studies import IndicatorSpec, compute

    series = synthetic_series(3_000)
    spec = IndicatorSpec.default("SMA")
    view = ChartView()
    qtbot.addWidget(view)  # type: ignore[attr-defined]
    view.resize(1200, 700)
    view.show()
    view.set_series(series)
    view.set_indicators({spec: compute(spec, series)})
    view.set_log_scale(True)
    curve = view.overlay_curves[spec.label]
    values = compute(spec, series)[spec.label]
    low, high = view.x_range()
    i0, i1 = series.visible_range(low - series.width, high + series.width)
    assert curve.dataBounds(1, orthoRange=(low, high)) == pytest.approx(
        (np.log10(np.nanmin(values[i0:i1])), np.log10(np.nanmax(values[i0:i1])))
    )
    image = render(view, 1200, 700)
    box = view.price_plot.getViewBox()
    index = len(series) - 5
    spot = view.mapFromScene(box.mapViewToScene(QtCore.QPointF(float(series.x[index]) + 30.0, np.log10(values[index]))))
    colour = QtGui.QColor(curve.opts["pen"].color()).rgb()
    assert colour in {image.pixel(spot.x() + dx, spot.y() + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)}
