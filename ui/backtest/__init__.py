"""The backtest panel's widgets: the form, the results and the sweep views (the computation
lives in ui.models.backtest, the backbone talk in ui.presenters.backtest)."""
