"""A local twin of Upbit's public quotation API (REST and WebSocket) with synthetic data.

    from backbone.sim import ExchangeSimulator, Faults

    async with ExchangeSimulator(port=0) as sim:
        sim.rest_url  # http://127.0.0.1:PORT/v1
        sim.ws_url    # ws://127.0.0.1:PORT/websocket/v1

Imports nothing from the other backbone packages.
"""

from backbone.sim.faults import Faults
from backbone.sim.server import ExchangeSimulator, SimStats

__all__ = ["ExchangeSimulator", "Faults", "SimStats"]
