"""A live trade carries the time it was executed, not the time its message was sent."""

from __future__ import annotations

from backbone import MarketDataBackbone


async def test_streamed_trades_carry_the_same_time_as_the_exchanges_trade_list(
    backbone: MarketDataBackbone,
) -> None:
    streamed: dict[int, int] = {}
    async with backbone.subscribe_trades(["KRW-BTC"]) as stream:
        async for trade in stream:
            streamed[trade["sequential_id"]] = trade["timestamp"]
            if len(streamed) >= 20:
                break
    listed = await backbone.get_trade_data("KRW-BTC", count=500)
    assert listed.success
    listed_times = {t["sequential_id"]: t["timestamp"] for t in listed.data}
    common = streamed.keys() & listed_times.keys()
    assert len(common) >= 10
    assert {i: streamed[i] for i in common} == {i: listed_times[i] for i in common}
