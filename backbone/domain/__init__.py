"""The backbone's shared vocabulary: timeframes, market data models, priorities, errors.

Every layer may import from here; this package imports nothing else from the
backbone and never touches the network or a database.
"""
