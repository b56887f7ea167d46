"""Desktop panels (PyQt6 + pyqtgraph) built on the backbone's public API.

Each panel is a QWidget constructed with a ``MarketDataBackbone`` and calls only
its public methods, on the qasync event loop; ``start()`` begins its background
work and ``await stop()`` ends it:

* ``ui.chart.chart_panel.ChartPanel``: candlesticks and volume (NORMAL)
* ``ui.screener.panel.ScreenerPanel``: every KRW market, refreshing (HIGH)
* ``ui.backtest.panel.BacktestPanel``: history load and backtest (LOW)
* ``ui.livebot.panel.LiveBotPanel``: paper-trading watchlist and latency (CRITICAL)
* ``ui.monitor.panel.SystemMonitorPanel``: metrics plots and alerts

The pure computations (indicators, backtest engine, paper-trading rule, metric series: all in
ui.models, guarded by an import contract) live apart from the widgets.
"""
