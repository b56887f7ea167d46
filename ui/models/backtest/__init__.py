"""The backtest's Qt-free half: strategies, the vectorised engine, statistics, parameter sweeps
and the list of runs. Pure numpy on candle columns; the panel in ui.backtest only renders."""
