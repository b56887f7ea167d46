"""The desk's membership rows: which app processes share this database, and so its address.

Each member rewrites its own row every beat and reads everyone's in the same
transaction; a row not rewritten for ``stale_s`` belongs to a process that ended
without leaving (killed, or its machine lost the network) and is deleted by the
next member that beats. The rows carry wall-clock times, so members on several
machines compare them as long as their clocks agree to well under ``stale_s``.
"""

from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from backbone.domain.desk import DeskMember
from backbone.storage.schema import desk_members


async def beat(conn: AsyncConnection, me: DeskMember, now: float, stale_s: float) -> list[DeskMember]:
    """Rewrite ``me``'s row, forget members silent for ``stale_s``; return every member, ``me`` too."""
    table = desk_members
    await conn.execute(
        delete(table).where(or_(table.c.member_id == me.member_id, table.c.seen_at < now - stale_s))
    )
    await conn.execute(
        table.insert().values(
            member_id=me.member_id, started_at=me.started_at, seen_at=now, busy=me.busy
        )
    )
    rows = await conn.execute(
        select(table.c.member_id, table.c.started_at, table.c.busy).order_by(
            table.c.started_at, table.c.member_id
        )
    )
    return [DeskMember(str(m), float(s), bool(b)) for m, s, b in rows]


async def leave(conn: AsyncConnection, member_id: str) -> None:
    """Delete ``member_id``'s row: the others may use its part once its calls have aged out."""
    await conn.execute(delete(desk_members).where(desk_members.c.member_id == member_id))
