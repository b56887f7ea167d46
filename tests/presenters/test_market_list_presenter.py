"""The market list presenter on the simulator, without Qt: listing, tickers, failures, priority."""

from __future__ import annotations

import math

from backbone import MarketDataBackbone, Priority
from backbone.sim import ExchangeSimulator
from ui.models.market_list import MarketRows
from ui.presenters.market_list import MarketListPresenter


def _presenter(backbone: MarketDataBackbone, priority: Priority) -> tuple[MarketRows, Heard, MarketListPresenter]:
    rows, heard = MarketRows(), Heard()
    return rows, heard, MarketListPresenter(backbone, rows, heard, priority, interval_s=1.0)


class Heard:
    def __init__(self) -> None:
        self.listed: list[int] = []
        self.refreshed: list[int] = []
        self.errors: list[str] = []

    def listed_markets(self, markets: int) -> None:
        self.listed.append(markets)

    def prices_refreshed(self, changed: int, elapsed_ms: float) -> None:
        assert elapsed_ms >= 0
        self.refreshed.append(changed)

    def failed(self, message: str) -> None:
        self.errors.append(message)


async def test_presenter_lists_every_quote_and_prices_every_row(
    backbone: MarketDataBackbone, simulator: ExchangeSimulator
) -> None:
    rows, heard, presenter = _presenter(backbone, Priority.HIGH)
    assert await presenter.load_markets()
    codes = simulator.market_codes()
    assert heard.listed == [len(codes)] and set(rows.markets()) == set(codes)
    assert {"KRW", "BTC", "USDT"} <= {r.quote for r in rows.rows}
    assert await presenter.refresh()
    assert heard.refreshed == [len(codes)] and presenter.refreshes == 1
    assert all(not math.isnan(r.price) and r.low <= r.price <= r.high for r in rows.rows)
    assert backbone.metrics_snapshot().request_counts[Priority.HIGH.value] == 2


async def test_a_first_refresh_loads_the_listing_then_the_prices(backbone: MarketDataBackbone) -> None:
    rows, heard, presenter = _presenter(backbone, Priority.NORMAL)
    assert await presenter.refresh()
    assert heard.listed == [len(rows)] and heard.refreshed == [len(rows)]
    assert await presenter.refresh()
    assert heard.listed == [len(rows)]  # listed once


async def test_presenter_reports_a_failed_refresh_and_keeps_its_rows(
    backbone: MarketDataBackbone, simulator: ExchangeSimulator
) -> None:
    rows, heard, presenter = _presenter(backbone, Priority.NORMAL)
    assert await presenter.load_markets() and await presenter.refresh()
    prices = [r.price for r in rows.rows]
    rows.add_markets([{"market": "KRW-DELISTED"}])  # the exchange no longer knows it
    assert not await presenter.refresh()
    assert len(heard.errors) == 1 and heard.errors[0].startswith("Refresh failed:")
    assert "KRW-DELISTED" in heard.errors[0]
    assert [r.price for r in rows.rows][:-1] == prices and presenter.refreshes == 1
