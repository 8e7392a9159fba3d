"""A queue overview for admins: how deep each queue is and how it is being worked, in counts only.

Admins are not caseworkers: nothing about any case is shown (no reference, no person, no harm), only per
queue the waiting count, how long the oldest has waited, how many open cases are past their deadline
without first contact, and how many cases each person holds (names of staff, counts of cases).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.principal.models import Principal
from api.queue.models import EntryStatus, QueueEntry
from api.triage.schemas import Queue

OPEN = (EntryStatus.queued, EntryStatus.claimed, EntryStatus.accepted)
HELD = (EntryStatus.claimed, EntryStatus.accepted)


@dataclass
class QueueOverview:
    queue: Queue
    waiting: int = 0
    oldest_waiting: timedelta | None = None
    overdue: int = 0
    returned: int = 0
    # (the holder's display name, how many cases they hold), most first.
    held_by: list[tuple[str, int]] = field(default_factory=list)

    @property
    def held(self) -> int:
        return sum(count for _, count in self.held_by)


async def overview(session: AsyncSession, now: datetime) -> list[QueueOverview]:
    """Every queue, in the triage table's order, with its counts (zero when empty)."""
    shown = {queue: QueueOverview(queue) for queue in Queue}
    waiting = await session.execute(
        select(QueueEntry.queue, func.count(), func.min(QueueEntry.received_at))
        .where(QueueEntry.status == EntryStatus.queued)
        .group_by(QueueEntry.queue)
    )
    for queue, count, oldest in waiting:
        shown[Queue(queue)].waiting = int(count)
        shown[Queue(queue)].oldest_waiting = None if oldest is None else max(now - oldest, timedelta(0))
    overdue = await session.execute(
        select(QueueEntry.queue, func.count())
        .where(
            QueueEntry.status.in_(OPEN),
            QueueEntry.first_contact_at.is_(None),
            QueueEntry.deadline < now,
        )
        .group_by(QueueEntry.queue)
    )
    for queue, count in overdue:
        shown[Queue(queue)].overdue = int(count)
    returned = await session.execute(
        select(QueueEntry.queue, func.count())
        .where(QueueEntry.status == EntryStatus.returned)
        .group_by(QueueEntry.queue)
    )
    for queue, count in returned:
        shown[Queue(queue)].returned = int(count)
    held = await session.execute(
        select(QueueEntry.queue, Principal.name, func.count())
        .join(Principal, Principal.id == QueueEntry.claimed_by)
        .where(QueueEntry.status.in_(HELD))
        .group_by(QueueEntry.queue, Principal.id, Principal.name)
        .order_by(func.count().desc(), Principal.name)
    )
    for queue, name, count in held:
        shown[Queue(queue)].held_by.append((name, int(count)))
    return list(shown.values())
