"""Backtesting: indicators, strategies, the engine and its statistics (pure numpy, no Qt),
plus the Qt panel that loads history through the backbone and shows the results."""
