"""The candlestick chart: numpy-backed series, fast drawing items, KST axis, the panel."""
