"""The live-bot, monitor and backtest presenters on the simulator, without Qt."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from backbone import MarketDataBackbone, Priority
from backbone.domain.clock import KST
from ui.models.backtest.settings import make_settings
from ui.presenters.backtest import BacktestPresenter
from ui.presenters.livebot import LiveBotPresenter
from ui.presenters.monitor import MonitorPresenter


async def test_a_live_bot_quote_carries_request_time_and_data_age_apart(backbone: MarketDataBackbone) -> None:
    presenter = LiveBotPresenter(backbone)
    assert "KRW-BTC" in await presenter.markets()
    quote = await presenter.quote("KRW-BTC")
    assert quote.error is None and quote.price > 0
    assert quote.request_ms > 0 and 0 <= quote.data_age_ms < 60_000
    assert "p99 " in presenter.summary() and "CRITICAL requests, last minute: 1" in presenter.summary()
    failed = await presenter.quote("KRW-NOTACOIN")
    assert failed.error is not None and math.isnan(failed.price)


async def test_the_monitor_presenter_samples_what_the_backbone_measured(backbone: MarketDataBackbone) -> None:
    await backbone.get_ticker_data(["KRW-BTC"], priority=Priority.CRITICAL)
    snapshot = MonitorPresenter(backbone).snapshot()
    assert snapshot.recent_latency["critical"].count == 1


async def test_the_backtest_presenter_sizes_a_load_and_streams_columns(backbone: MarketDataBackbone) -> None:
    presenter = BacktestPresenter(backbone)
    now = datetime.now(KST)
    today = now.date()
    settings = make_settings("KRW-BTC", "KRW-BTC", "1h", today - timedelta(days=2), today, "ma_cross", {}, 0.05, now)
    plan = presenter.plan(settings)
    assert plan.pages == 1 and not plan.needs_confirmation and plan.pages_per_s > 0
    events: list[object] = []
    chunks = [chunk async for chunk in presenter.candles(settings, events.append)]
    starts = [int(s) for chunk in chunks for s in chunk.start_ms]
    assert starts == sorted(starts) and len(starts) > 40
    assert starts[0] >= int(settings.start.astimezone(UTC).timestamp() * 1000)
    assert presenter.request_id is None



async def test_a_watching_live_bot_holds_the_critical_reserve_until_it_stops(backbone: MarketDataBackbone) -> None:
    scheduler = backbone._router.scheduler
    presenter = LiveBotPresenter(backbone)
    assert scheduler.leases == 0 and not presenter.watching
    await presenter.start_watching()
    await presenter.start_watching()  # a second start takes no second lease
    assert scheduler.leases == 1 and presenter.watching
    assert backbone.metrics_snapshot().rate_budget["candle"]["reserve"] > 0
    presenter.stop_watching()
    presenter.stop_watching()
    assert scheduler.leases == 0 and not presenter.watching
