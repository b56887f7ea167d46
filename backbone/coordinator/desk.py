"""A desk: agreeing, through the shared database, how this address's budget is split.

Upbit counts calls per address. ``Remaining-Req`` headers tell a process how much
others spent, but only after they spent it, so three processes that each fill what
they last heard was free overshoot together. When a header first shows another
program on the address, this process joins the desk: every beat it writes its row
to the database it shares with the others and reads theirs, and the scheduler uses
its part of each group's budget (:func:`backbone.domain.desk.desk_part`). Parts
shrink at once and grow only after the others have read the new split and their
calls made under the old one have left the server's window, so the parts in use
never add up to more than the group's capacity. Calls beyond the other members'
parts (a program outside the desk) are still learnt from the headers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from backbone.domain.desk import DeskMember
from backbone.domain.errors import StorageError

if TYPE_CHECKING:
    from backbone.router.scheduler import Scheduler
    from backbone.storage import MarketStore

log = logging.getLogger(__name__)

BEAT_S = 0.5
# A member that has not beaten for this long has ended without leaving; its part is shared out.
STALE_S = 3.0
# The longest a call of another member may take to come back, on top of the window.
ROUND_TRIP_S = 0.25


class DeskMembership:
    """This process's row on the desk and the part of the budget it gives the scheduler."""

    def __init__(
        self,
        scheduler: Scheduler,
        store: MarketStore,
        *,
        beat_s: float = BEAT_S,
        stale_s: float = STALE_S,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.member_id = uuid.uuid4().hex
        self.members: list[DeskMember] = []  # as the last beat read them, oldest first
        self._scheduler = scheduler
        self._store = store
        self._beat_s = beat_s
        self._stale_s = stale_s
        self._wall_clock = wall_clock
        self._started_at = wall_clock()
        self._joined = False
        self._failing = False
        self._task: asyncio.Task[None] | None = None

    @property
    def settle_s(self) -> float:
        """How long a larger part waits: a beat for the others to read it, then their calls' window."""
        return self._beat_s + self._scheduler.policy.window_s + ROUND_TRIP_S

    def start(self) -> None:
        """Watch for other programs on the address; join the desk when one is seen."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="desk membership")

    async def close(self) -> None:
        """Stop beating and take this process's row off the desk (idempotent)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._joined:
            self._joined = False
            try:
                await self._store.desk_leave(self.member_id)
            except StorageError as error:
                log.warning("could not leave the desk (the others drop this process in %.0f s): %s",
                            self._stale_s, error)

    async def beat(self) -> None:
        """Write this process's row, read the desk, and give the scheduler its part."""
        me = DeskMember(self.member_id, self._started_at, self._scheduler.busy())
        try:
            members = await self._store.desk_beat(me, self._wall_clock(), self._stale_s)
        except StorageError as error:
            if not self._failing:
                log.warning("the desk's database did not answer; the headers alone guide the budget: %s",
                            error)
            self._failing = True
            members = []  # alone: a larger part, so it waits until the others have dropped this one
        else:
            self._failing = False
        self._joined = True
        self.members = members
        self._scheduler.set_desk(members, self.member_id, self.settle_s)

    async def _run(self) -> None:
        while True:
            if self._joined or self._scheduler.address_shared():
                await self.beat()
            await asyncio.sleep(self._beat_s)
