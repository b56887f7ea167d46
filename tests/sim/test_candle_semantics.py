"""Candle ordering, ``to``/``count`` paging, gaps, determinism and agreement across timeframes."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from backbone.sim import ExchangeSimulator
from tests.sim.conftest import Http

DAY = timedelta(days=1)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def quiet_market(sim: ExchangeSimulator) -> str:
    return next(
        m.code
        for m in sim.catalogue.markets
        if m.quote == "KRW" and m.activity < 0.5 and m.listing_day < 19_000
    )


def assert_aggregate(big: dict, small: list[dict]) -> None:
    """``big`` is exactly the aggregate of ``small`` (newest first, as Upbit sends them)."""
    assert small, "no smaller candles"
    assert big["opening_price"] == small[-1]["opening_price"]
    assert big["trade_price"] == small[0]["trade_price"]
    assert big["high_price"] == max(c["high_price"] for c in small)
    assert big["low_price"] == min(c["low_price"] for c in small)
    assert big["timestamp"] == small[0]["timestamp"]
    assert big["candle_acc_trade_volume"] == pytest.approx(
        sum(c["candle_acc_trade_volume"] for c in small), rel=1e-9
    )
    assert big["candle_acc_trade_price"] == pytest.approx(
        sum(c["candle_acc_trade_price"] for c in small), rel=1e-9
    )


async def test_candles_come_newest_first_and_to_is_exclusive(
    simulator: ExchangeSimulator, http: Http
) -> None:
    url = simulator.rest_url + "/candles/minutes/1"
    page = await http.ok(url, market="KRW-BTC", count=200)
    starts = [c["candle_date_time_utc"] for c in page]
    assert starts == sorted(starts, reverse=True) and len(set(starts)) == 200
    boundary = page[10]["candle_date_time_utc"]
    after = await http.ok(url, market="KRW-BTC", count=5, to=boundary)
    assert after[0]["candle_date_time_utc"] < boundary
    assert after[0] == page[11]


async def test_every_to_format_means_the_same_instant(
    simulator: ExchangeSimulator, http: Http
) -> None:
    url = simulator.rest_url + "/candles/minutes/5"
    moment = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=5)
    spellings = [
        iso(moment),
        moment.strftime("%Y-%m-%d %H:%M:%S"),
        moment.strftime("%Y-%m-%dT%H:%M:%S"),
        (moment + timedelta(hours=9)).strftime("%Y-%m-%dT%H:%M:%S+09:00"),
    ]
    answers = [await http.ok(url, market="KRW-ETH", count=3, to=text) for text in spellings]
    assert all(a == answers[0] for a in answers)
    assert utc(answers[0][0]["candle_date_time_utc"]) < moment


async def test_paging_by_oldest_start_has_no_overlap_and_no_hole(
    simulator: ExchangeSimulator, http: Http
) -> None:
    url = simulator.rest_url + "/candles/minutes/1"
    market = quiet_market(simulator)
    end = iso(datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1))

    async def pages(size: int, total: int) -> list[dict]:
        out: list[dict] = []
        to = end
        while len(out) < total:
            page = await http.ok(url, market=market, count=size, to=to)
            out.extend(page)
            to = page[-1]["candle_date_time_utc"]
        return out

    by_200 = await pages(200, 400)
    by_80 = await pages(80, 400)
    assert by_200 == by_80
    starts = [c["candle_date_time_utc"] for c in by_200]
    assert len(set(starts)) == len(starts)


async def test_quiet_markets_have_minutes_without_candles(
    simulator: ExchangeSimulator, http: Http
) -> None:
    url = simulator.rest_url + "/candles/minutes/1"
    quiet = await http.ok(url, market=quiet_market(simulator), count=200)
    span = utc(quiet[0]["candle_date_time_utc"]) - utc(quiet[-1]["candle_date_time_utc"])
    assert span > timedelta(minutes=260)  # 200 candles reach far more than 200 minutes back
    busy = await http.ok(
        url, market="KRW-BTC", count=200, to=iso(datetime.now(UTC) - timedelta(hours=2))
    )
    busy_span = utc(busy[0]["candle_date_time_utc"]) - utc(busy[-1]["candle_date_time_utc"])
    assert busy_span < timedelta(minutes=210)


async def test_history_reaches_back_two_years_and_stops_at_listing(
    simulator: ExchangeSimulator, http: Http
) -> None:
    url = simulator.rest_url + "/candles/days"
    two_years = iso(datetime.now(UTC) - timedelta(days=740))
    old = await http.ok(url, market="KRW-BTC", count=5, to=two_years)
    assert len(old) == 5
    assert await http.ok(url, market="KRW-BTC", count=5, to="2015-01-01T00:00:00Z") == []


async def test_same_request_twice_and_same_seed_give_identical_candles(
    simulator: ExchangeSimulator, make_simulator, http: Http
) -> None:
    to = iso(datetime.now(UTC) - timedelta(days=3))
    first = await http.ok(
        simulator.rest_url + "/candles/minutes/15", market="KRW-SOL", count=50, to=to
    )
    again = await http.ok(
        simulator.rest_url + "/candles/minutes/15", market="KRW-SOL", count=50, to=to
    )
    twin = await make_simulator(seed=simulator.seed)
    other = await make_simulator(seed=simulator.seed + 1)
    from_twin = await http.ok(
        twin.rest_url + "/candles/minutes/15", market="KRW-SOL", count=50, to=to
    )
    from_other = await http.ok(
        other.rest_url + "/candles/minutes/15", market="KRW-SOL", count=50, to=to
    )
    assert first == again == from_twin
    assert from_other != first


@pytest.mark.parametrize("market", ["KRW-BTC", "KRW-HUNT"])
async def test_an_hour_is_the_aggregate_of_its_minutes(
    simulator: ExchangeSimulator, http: Http, market: str
) -> None:
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    end = iso(hour + timedelta(hours=1))
    [big] = await http.ok(
        simulator.rest_url + "/candles/minutes/60", market=market, count=1, to=end
    )
    assert utc(big["candle_date_time_utc"]) == hour
    minutes = await http.ok(
        simulator.rest_url + "/candles/minutes/1", market=market, count=60, to=end
    )
    assert_aggregate(big, [c for c in minutes if utc(c["candle_date_time_utc"]) >= hour])
    fives = await http.ok(
        simulator.rest_url + "/candles/minutes/5", market=market, count=12, to=end
    )
    assert_aggregate(big, [c for c in fives if utc(c["candle_date_time_utc"]) >= hour])


async def test_a_day_is_the_aggregate_of_its_hours_and_a_week_of_its_days(
    simulator: ExchangeSimulator, http: Http
) -> None:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    yesterday = today - DAY
    [day] = await http.ok(
        simulator.rest_url + "/candles/days", market="KRW-ETH", count=1, to=iso(today)
    )
    assert utc(day["candle_date_time_utc"]) == yesterday
    hours = await http.ok(
        simulator.rest_url + "/candles/minutes/60", market="KRW-ETH", count=24, to=iso(today)
    )
    assert_aggregate(day, hours)
    fours = await http.ok(
        simulator.rest_url + "/candles/minutes/240", market="KRW-ETH", count=6, to=iso(today)
    )
    assert_aggregate(day, fours)
    monday = today - timedelta(days=today.weekday() + 7)
    [week] = await http.ok(
        simulator.rest_url + "/candles/weeks",
        market="KRW-ETH",
        count=1,
        to=iso(monday + timedelta(days=7)),
    )
    assert utc(week["candle_date_time_utc"]) == monday
    days = await http.ok(
        simulator.rest_url + "/candles/days",
        market="KRW-ETH",
        count=7,
        to=iso(monday + timedelta(days=7)),
    )
    assert_aggregate(week, days)


async def test_seconds_are_the_trades_of_their_minute(
    simulator: ExchangeSimulator, http: Http
) -> None:
    minute = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
    end = iso(minute + timedelta(minutes=1))
    [one] = await http.ok(
        simulator.rest_url + "/candles/minutes/1", market="KRW-XRP", count=1, to=end
    )
    seconds = await http.ok(
        simulator.rest_url + "/candles/seconds", market="KRW-XRP", count=60, to=end
    )
    if utc(one["candle_date_time_utc"]) == minute:
        assert_aggregate(one, [c for c in seconds if utc(c["candle_date_time_utc"]) >= minute])


async def test_ticker_agrees_with_the_forming_day_and_minute_candles(
    simulator: ExchangeSimulator, http: Http
) -> None:
    for _ in range(20):
        [ticker] = await http.ok(simulator.rest_url + "/ticker", markets="KRW-DOGE")
        [day] = await http.ok(simulator.rest_url + "/candles/days", market="KRW-DOGE")
        [minute] = await http.ok(simulator.rest_url + "/candles/minutes/1", market="KRW-DOGE")
        if ticker["trade_timestamp"] == day["timestamp"] == minute["timestamp"]:
            break
    else:
        pytest.fail("the ticker never caught a quiet moment to compare")
    assert ticker["trade_price"] == day["trade_price"] == minute["trade_price"]
    assert ticker["opening_price"] == day["opening_price"]
    assert ticker["high_price"] == day["high_price"] and ticker["low_price"] == day["low_price"]
    assert ticker["acc_trade_volume"] == pytest.approx(day["candle_acc_trade_volume"], rel=1e-9)
    assert ticker["prev_closing_price"] == day["prev_closing_price"]
    assert utc(day["candle_date_time_utc"]).date() == datetime.now(UTC).date()


async def test_trades_sum_to_their_minute_candle(simulator: ExchangeSimulator, http: Http) -> None:
    trades = await http.ok(
        simulator.rest_url + "/trades/ticks", market="KRW-LINK", count=500, days_ago=1
    )
    by_minute: dict[str, list[dict]] = {}
    for t in trades:
        by_minute.setdefault(
            t["trade_date_utc"] + "T" + t["trade_time_utc"][:5] + ":00", []
        ).append(t)
    start = sorted(by_minute)[len(by_minute) // 2]  # a minute fully inside the page
    rows = by_minute[start]
    end = iso(utc(start) + timedelta(minutes=1))
    [candle] = await http.ok(
        simulator.rest_url + "/candles/minutes/1", market="KRW-LINK", count=1, to=end
    )
    assert candle["candle_date_time_utc"] == start
    assert candle["opening_price"] == rows[-1]["trade_price"]
    assert candle["trade_price"] == rows[0]["trade_price"]
    assert candle["high_price"] == max(t["trade_price"] for t in rows)
    assert candle["low_price"] == min(t["trade_price"] for t in rows)
    assert candle["timestamp"] == rows[0]["timestamp"]
    assert candle["candle_acc_trade_volume"] == pytest.approx(
        sum(t["trade_volume"] for t in rows), rel=1e-6
    )


async def test_a_future_to_never_returns_a_future_candle(
    simulator: ExchangeSimulator, http: Http
) -> None:
    url = simulator.rest_url + "/candles/minutes/1"
    future = iso(datetime.now(UTC) + timedelta(days=2))
    [latest] = await http.ok(url, market="KRW-BTC", count=1, to=future)
    assert utc(latest["candle_date_time_utc"]) <= datetime.now(UTC)
    assert latest["timestamp"] <= time.time() * 1000 + 5
