"""The live-bot monitor: a paper-trading rule on CRITICAL tickers and their measured latency."""
