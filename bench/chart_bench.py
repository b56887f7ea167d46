"""Chart frame times: panning and zooming over 100,000 synthetic candles, offscreen; and over
1,000,000 candles with three overlays (SMA, EMA, Bollinger) and a lower pane (RSI); and the
time to bring every indicator up to date when 1,000 older candles arrive.

Renders the chart view into a QImage repeatedly while shifting the x range
(pan) and while widening and narrowing it (zoom), and reports p50/p99 frame
times. For scale, the same is done with the classic pyqtgraph approach (every
candle recorded once into a QPicture and replayed on each paint).

    python -m bench.chart_bench [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

import numpy as np

CANDLES = 100_000
INDICATOR_CANDLES = 1_000_000
OLDER_BATCH = 1_000
FRAME_BUDGET_MS = 16.0  # one frame at 60 Hz


def _app() -> Any:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt6 import QtWidgets

    return QtWidgets.QApplication.instance() or QtWidgets.QApplication([])


def _series(n: int) -> Any:
    from ui.models.chart.series import CandleSeries

    rng = np.random.default_rng(1)
    close = 60_000_000 * np.exp(np.cumsum(rng.normal(0, 0.0008, n)))
    open_ = np.concatenate(([close[0]], close[:-1]))
    spread = np.abs(rng.normal(0, 0.0006, n)) + 0.0001
    return CandleSeries.from_arrays(
        "1m", x=1_700_000_040.0 + 60.0 * np.arange(n), open=open_,
        high=np.maximum(open_, close) * (1 + spread), low=np.minimum(open_, close) * (1 - spread),
        close=close, volume=rng.gamma(2.0, 0.5, n),
    )


def _frame_times(widget: Any, ranges: list[tuple[float, float]], set_range: Any) -> list[float]:
    from PyQt6 import QtGui

    image = QtGui.QImage(widget.width(), widget.height(), QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    times = []
    for low, high in ranges:
        started = time.perf_counter()
        set_range(low, high)
        painter = QtGui.QPainter(image)
        widget.render(painter)
        painter.end()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _stats(times: list[float]) -> dict[str, float]:
    values = np.asarray(times[2:] or times)  # the first frames warm caches
    return {
        "frames": len(values),
        "p50_ms": round(float(np.percentile(values, 50)), 2),
        "p99_ms": round(float(np.percentile(values, 99)), 2),
        "fps_p50": round(1000.0 / max(float(np.percentile(values, 50)), 1e-6), 1),
    }


def _plans(series: Any, frames: int) -> dict[str, list[tuple[float, float]]]:
    x0, x1 = float(series.x[0]), float(series.x[-1])
    window = 200 * 60.0
    pan_start = x1 - window - frames * 600.0
    pan = [(pan_start + i * 600.0, pan_start + i * 600.0 + window) for i in range(frames)]
    zoom = []
    for i in range(frames):  # from 200 candles out to all 100,000 and back
        phase = abs((2 * i / max(frames - 1, 1)) - 1.0)
        width = window * (((x1 - x0) / window) ** (1 - phase))
        zoom.append((x1 - width, x1))
    full = [(x0, x1 + 60.0 * (i % 3)) for i in range(frames)]
    wide_pan = [(x0 + i * 6000.0, x0 + i * 6000.0 + (x1 - x0) / 4) for i in range(frames)]
    return {"pan_200": pan, "zoom_200_to_all": zoom, "all_100k": full, "pan_25k": wide_pan}


def _ours(series: Any, plans: dict[str, list[tuple[float, float]]]) -> dict[str, Any]:
    from ui.chart.chart_view import ChartView

    view = ChartView()
    view.resize(1200, 700)
    view.set_series(series)
    view.show()
    out = {}
    for name, ranges in plans.items():
        out[name] = _stats(_frame_times(view, ranges, view.set_x_range))
    view.close()
    return out


def _indicator_specs() -> tuple[Any, ...]:
    from ui.models.chart.studies import IndicatorSpec

    return tuple(IndicatorSpec.default(kind) for kind in ("SMA", "EMA", "BB", "RSI"))


def _with_indicators(series: Any, frames: int) -> dict[str, Any]:
    """Frame times with three overlays and one lower pane drawn over every candle."""
    from ui.chart.chart_view import ChartView
    from ui.models.chart.studies import compute_all

    view = ChartView()
    view.resize(1200, 700)
    view.set_series(series)
    view.set_indicators(compute_all(_indicator_specs(), series))
    view.show()
    x0, x1 = float(series.x[0]), float(series.x[-1])
    window = 200 * 60.0
    pan_start = x1 - window - frames * 600.0
    plans = {
        "pan_200": [(pan_start + i * 600.0, pan_start + i * 600.0 + window) for i in range(frames)],
        "zoom_200_to_all": [
            (x1 - window * (((x1 - x0) / window) ** (1 - abs(2 * i / max(frames - 1, 1) - 1))), x1)
            for i in range(frames)
        ],
    }
    out = {name: _stats(_frame_times(view, ranges, view.set_x_range)) for name, ranges in plans.items()}
    view.close()
    return out


def _recompute_after_older(series: Any, repeats: int) -> dict[str, Any]:
    """Time to bring every chosen indicator up to date once 1,000 older candles were prepended
    (what the chart does when history loads): the whole recompute it did before, and the
    incremental one it does now (the new candles and each line's warm-up). Also the time to
    hand the lines to the chart view, after that prepend and after a live candle's change, and
    what rebuilding every line's extremes whole (as the view once did after a prepend) costs."""
    from ui.chart.chart_view import ChartView
    from ui.models.chart.extremes import LineExtremes
    from ui.models.chart.series import CandleSeries
    from ui.models.chart.studies import (
        IndicatorSpec,
        compute_all,
        extend_all_newer,
        extend_all_older,
        extend_older,
    )

    specs = _indicator_specs() + tuple(IndicatorSpec.default(kind) for kind in ("MACD", "VOLMA"))
    older = _series(OLDER_BATCH)
    older.x = older.x - (older.x[-1] - series.x[0]) - 60.0
    grown = CandleSeries.from_arrays(
        "1m", **{name: np.concatenate((getattr(older, name), getattr(series, name))) for name in
                 ("x", "open", "high", "low", "close", "volume")}
    )
    before = compute_all(specs, series)
    after = extend_all_older(before, grown, OLDER_BATCH)
    full, incremental, live_times = [], [], []
    for _ in range(repeats):
        started = time.perf_counter()
        compute_all(specs, grown)
        full.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        extend_all_older(before, grown, OLDER_BATCH)
        incremental.append((time.perf_counter() - started) * 1000)
        grown.close[-1] *= 1.0001  # then a live trade moves the last candle
        started = time.perf_counter()
        extend_all_newer(after, grown, len(grown) - 1)
        live_times.append((time.perf_counter() - started) * 1000)
    per_kind = {}
    for spec in specs:
        started = time.perf_counter()
        extend_older(spec, before[spec], grown, OLDER_BATCH)
        per_kind[spec.label] = round((time.perf_counter() - started) * 1000, 1)
    view = ChartView()
    view.resize(1200, 700)
    view.set_series(series)
    view.set_indicators(before)
    started = time.perf_counter()
    view.set_series(grown)
    view.set_indicators(after)
    handed_older = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    for named in after.values():  # what handing them over cost when every line's extremes were rebuilt
        for values in named.values():
            LineExtremes(values)
    rebuilt = (time.perf_counter() - started) * 1000
    live = {spec: {name: values.copy() for name, values in named.items()} for spec, named in after.items()}
    for named in live.values():
        for values in named.values():
            values[-1] *= 1.0001  # the live candle moved: each line's last value with it
    started = time.perf_counter()
    view.set_indicators(live)
    handed_live = (time.perf_counter() - started) * 1000
    view.close()
    return {"candles": len(grown), "indicators": len(specs),
            "full_median_ms": round(float(np.median(full)), 1), "full_max_ms": round(float(np.max(full)), 1),
            "median_ms": round(float(np.median(incremental)), 1), "max_ms": round(float(np.max(incremental)), 1),
            "live_median_ms": round(float(np.median(live_times)), 1),
            "per_indicator_ms": per_kind, "lines": sum(len(named) for named in after.values()),
            "chart_after_older_ms": round(handed_older, 1), "chart_after_live_ms": round(handed_live, 1),
            "line_extremes_rebuilt_ms": round(rebuilt, 1)}


def _qpicture_baseline(series: Any, plans: dict[str, list[tuple[float, float]]]) -> dict[str, Any]:
    """pyqtgraph's customGraphicsItem example: one QPicture holding every candle."""
    import pyqtgraph as pg
    from PyQt6 import QtCore, QtGui

    class PictureCandles(pg.GraphicsObject):
        def __init__(self) -> None:
            super().__init__()
            self.picture = QtGui.QPicture()
            p = QtGui.QPainter(self.picture)
            w = 60.0 * 0.35
            for i in range(len(series)):
                o, h, lo, c, x = (series.open[i], series.high[i], series.low[i], series.close[i],
                                  series.x[i] + 30.0)
                p.setPen(pg.mkPen("#e0443e" if c >= o else "#2f6fd6"))
                p.drawLine(QtCore.QPointF(x, lo), QtCore.QPointF(x, h))
                p.setBrush(pg.mkBrush("#e0443e" if c >= o else "#2f6fd6"))
                p.drawRect(QtCore.QRectF(x - w, o, w * 2, c - o))
            p.end()

        def paint(self, p: Any, *args: Any) -> None:
            p.drawPicture(0, 0, self.picture)

        def boundingRect(self) -> Any:
            return QtCore.QRectF(self.picture.boundingRect())

    built = time.perf_counter()
    item = PictureCandles()
    build_ms = (time.perf_counter() - built) * 1000
    widget = pg.PlotWidget()
    widget.resize(1200, 700)
    widget.addItem(item)
    widget.show()
    out: dict[str, Any] = {"build_ms": round(build_ms, 1)}
    for name, ranges in plans.items():
        out[name] = _stats(_frame_times(widget, ranges, lambda a, b: widget.setXRange(a, b, padding=0)))
    widget.close()
    return out


async def run(quick: bool = False) -> dict[str, Any]:
    """Frame-time figures for our chart and the QPicture baseline."""
    _app()
    series = _series(CANDLES)
    frames = 25 if quick else 120
    plans = _plans(series, frames)
    ours = _ours(series, plans)
    baseline_plans = {k: v[: max(6, frames // 5)] for k, v in plans.items()}
    baseline = _qpicture_baseline(series, baseline_plans)
    speedup = {
        k: round(baseline[k]["p50_ms"] / max(ours[k]["p50_ms"], 1e-6), 1) for k in plans
    }
    big = _series(INDICATOR_CANDLES)
    indicators = _with_indicators(big, frames)
    recompute = _recompute_after_older(big, 3 if quick else 7)
    await asyncio.sleep(0)
    return {"candles": CANDLES, "viewport": "1200x700", "ours": ours, "qpicture_baseline": baseline,
            "speedup_p50": speedup,
            "with_indicators": {"candles": INDICATOR_CANDLES, "overlays": "SMA 20, EMA 50, BB 20",
                                "lower_pane": "RSI 14", "frames": indicators,
                                "p99_under_16ms": all(v["p99_ms"] < FRAME_BUDGET_MS for v in indicators.values())},
            "recompute_after_older": recompute}


def _print(result: dict[str, Any]) -> None:
    print(f"Chart frame times over {result['candles']:,} candles, viewport {result['viewport']} (offscreen)")
    print(f"{'scenario':<18}{'ours p50':>10}{'ours p99':>10}{'fps':>8}{'QPicture p50':>14}{'speedup':>9}")
    for name, ours in result["ours"].items():
        base = result["qpicture_baseline"][name]
        print(f"{name:<18}{ours['p50_ms']:>8.2f}ms{ours['p99_ms']:>8.2f}ms{ours['fps_p50']:>8.0f}"
              f"{base['p50_ms']:>12.1f}ms{result['speedup_p50'][name]:>8.1f}x")
    print(f"QPicture baseline build time: {result['qpicture_baseline']['build_ms']:.0f} ms")
    extra = result["with_indicators"]
    print(f"With {extra['overlays']} over the candles and {extra['lower_pane']} below, "
          f"{extra['candles']:,} candles (budget {FRAME_BUDGET_MS:.0f} ms):")
    for name, figures in extra["frames"].items():
        plain = result["ours"].get(name, {}).get("p50_ms")
        relative = f", p50 x{figures['p50_ms'] / plain:.2f} the plain 100,000-candle chart's" if plain else ""
        print(f"  {name:<16}p50 {figures['p50_ms']:.2f} ms  p99 {figures['p99_ms']:.2f} ms  "
              f"({figures['p99_ms'] / FRAME_BUDGET_MS:.2f} of the budget{relative})")
    again = result["recompute_after_older"]
    print(f"Bring all {again['indicators']} indicators up to date over {again['candles']:,} candles after "
          f"{OLDER_BATCH:,} older ones arrive: median {again['median_ms']:.1f} ms, max {again['max_ms']:.1f} ms "
          f"(whole recompute: median {again['full_median_ms']:.1f} ms, "
          f"x{again['full_median_ms'] / max(again['median_ms'], 1e-6):.1f})")
    print("  per indicator: " + ", ".join(f"{k} {v:.1f} ms" for k, v in again["per_indicator_ms"].items()))
    print(f"  after a live trade moves the last candle: median {again['live_median_ms']:.1f} ms")
    print(f"  handing the {again['lines']} lines to the chart: {again['chart_after_older_ms']:.1f} ms after the "
          f"older candles, {again['chart_after_live_ms']:.1f} ms after a live change")
    if "line_extremes_rebuilt_ms" in again:
        print(f"    (each line's extremes extended by the {OLDER_BATCH:,} older values and the warm-up they changed, "
              f"after one comparison pass; rebuilding them whole instead: {again['line_extremes_rebuilt_ms']:.1f} ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames")
    _print(asyncio.run(run(quick=parser.parse_args().quick)))
