"""The chart panel's Qt-free model: candles, indicators, navigation rules, order book and
trades, the legend's text and the per-market chart state."""
