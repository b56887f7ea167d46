"""Backtesting: strategies, the engine and its statistics (pure numpy, no Qt; indicators come
from ui.models.indicators), plus the Qt panel that loads history and shows the results."""
