"""The desk's membership rows, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

from backbone.domain.desk import DeskMember
from backbone.storage import MarketStore

STALE_S = 3.0


async def test_members_see_each_other_oldest_first_and_beating_again_replaces_the_row(
    store: MarketStore,
) -> None:
    late, early = DeskMember("late", 200.0, True), DeskMember("early", 100.0, False)
    assert await store.desk_beat(late, 300.0, STALE_S) == [late]
    assert await store.desk_beat(early, 300.2, STALE_S) == [early, late]
    idle_now = DeskMember("late", 200.0, False)
    assert await store.desk_beat(idle_now, 300.5, STALE_S) == [early, idle_now]


async def test_a_member_silent_for_the_stale_time_is_dropped_by_the_next_beat(store: MarketStore) -> None:
    gone, alive = DeskMember("gone", 1.0, True), DeskMember("alive", 2.0, True)
    await store.desk_beat(gone, 100.0, STALE_S)
    assert await store.desk_beat(alive, 102.9, STALE_S) == [gone, alive]
    assert await store.desk_beat(alive, 103.1, STALE_S) == [alive]


async def test_a_member_that_leaves_is_gone_at_the_others_next_beat(store: MarketStore) -> None:
    first, second = DeskMember("first", 1.0, True), DeskMember("second", 2.0, True)
    await store.desk_beat(first, 10.0, STALE_S)
    await store.desk_beat(second, 10.1, STALE_S)
    await store.desk_leave("first")
    assert await store.desk_beat(second, 10.6, STALE_S) == [second]
    await store.desk_leave("nobody")  # leaving twice, or never having joined, is harmless
