"""How a desk's members split a group's budget: every member computes the same split."""

from __future__ import annotations

import itertools

from backbone.domain.desk import DeskMember, desk_part


def _member(name: str, started_at: float, busy: bool = True) -> DeskMember:
    return DeskMember(name, started_at, busy)


def test_a_process_alone_on_the_desk_keeps_the_whole_budget() -> None:
    assert desk_part([_member("a", 1.0)], "a", 10) is None
    assert desk_part([], "a", 10) is None


def test_busy_members_split_evenly_and_the_earliest_started_take_the_remainder() -> None:
    members = [_member("late", 3.0), _member("first", 1.0), _member("second", 2.0)]
    parts = {m.member_id: desk_part(members, m.member_id, 10) for m in members}
    assert parts == {"first": 4, "second": 3, "late": 3}


def test_an_idle_member_keeps_one_token_and_leaves_the_rest_to_the_busy_ones() -> None:
    members = [_member("a", 1.0), _member("idle", 2.0, busy=False), _member("c", 3.0)]
    parts = {m.member_id: desk_part(members, m.member_id, 10) for m in members}
    assert parts == {"a": 5, "idle": 1, "c": 4}


def test_the_parts_add_up_to_the_capacity_whoever_is_busy() -> None:
    for size in range(2, 8):
        for flags in itertools.product((True, False), repeat=size):
            members = [_member(f"m{i}", float(i), busy) for i, busy in enumerate(flags)]
            parts = [desk_part(members, m.member_id, 10) for m in members]
            assert all(part is not None and part >= 1 for part in parts)
            total = sum(part for part in parts if part is not None)
            assert total == (10 if any(flags) else size), (flags, parts)
