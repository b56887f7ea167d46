"""A desk: the app processes that share one database, and so one address at the exchange.

Upbit counts calls per address. Processes on one machine, or on one office network
behind one address, that share a database agree through it how each rate-limit
group's budget is split between them: each writes a :class:`DeskMember` row every
beat, and :func:`desk_part` turns the rows every member read into the same split.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DeskMember:
    """One app process of a desk, as its last beat described it.

    ``started_at`` (seconds since the epoch) orders the members: the earliest
    started get the tokens that do not divide evenly. ``busy`` says the process
    has calls waiting or made some a moment ago; an idle one keeps one token per
    window and leaves the rest to the busy ones.
    """

    member_id: str
    started_at: float
    busy: bool


def desk_part(members: Sequence[DeskMember], me: str, capacity: int) -> int | None:
    """How many of a group's ``capacity`` tokens per window are ``me``'s, or None when unshared.

    Idle members keep one token each; the busy ones split the rest evenly, the
    earliest started taking one more until the remainder is used up. Every member
    computes this from the same rows, so the parts add up to ``capacity`` (as long
    as there are no more members than tokens).
    """
    others = [m for m in members if m.member_id != me]
    mine = next((m for m in members if m.member_id == me), None)
    if mine is None or not others:
        return None
    if not mine.busy:
        return 1
    idle = [m for m in members if not m.busy]
    busy = sorted((m for m in members if m.busy), key=lambda m: (m.started_at, m.member_id))
    spare = max(0, capacity - len(idle))
    base, extra = divmod(spare, len(busy))
    rank = next(i for i, m in enumerate(busy) if m.member_id == me)
    return max(1, base + (1 if rank < extra else 0))
