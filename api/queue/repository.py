"""All SQL of the service queues.

A claim picks the first claimable entry in queue order and leases it to one caseworker. On PostgreSQL the
row is taken with `FOR UPDATE SKIP LOCKED`, so concurrent claimers skip each other's rows; on SQLite every
transaction is `BEGIN IMMEDIATE` (see api/db.py), so claims are serialised. The same code runs on both.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.kit.time import as_utc
from api.queue.models import PRIORITY_RANK, EntryStatus, QueueEntry
from api.referral.models import Referral

OPEN_STATUSES = (EntryStatus.queued, EntryStatus.claimed, EntryStatus.accepted)


# Queue order (TRIAGE.md): priority, then deadline, then time received; the id only breaks exact ties.
QUEUE_ORDER = (QueueEntry.priority_rank, QueueEntry.deadline, QueueEntry.received_at, QueueEntry.id)


async def enqueue(session: AsyncSession, referral: Referral, queue: str, *, secondary: bool) -> QueueEntry:
    entry = QueueEntry(
        referral_id=referral.id,
        queue=queue,
        is_secondary=secondary,
        status=EntryStatus.queued,
        priority_rank=PRIORITY_RANK[referral.priority],
        deadline=as_utc(referral.deadline) if referral.deadline else None,
        received_at=as_utc(referral.received_at),
    )
    session.add(entry)
    await session.flush()
    return entry


async def list_open(
    session: AsyncSession, queue: str, limit: int, offset: int
) -> Sequence[tuple[QueueEntry, Referral]]:
    rows = await session.execute(
        select(QueueEntry, Referral)
        .join(Referral, Referral.id == QueueEntry.referral_id)
        .where(QueueEntry.queue == queue, QueueEntry.status.in_(OPEN_STATUSES))
        .order_by(*QUEUE_ORDER)
        .limit(limit)
        .offset(offset)
    )
    return [(entry, referral) for entry, referral in rows]


async def claim_next(
    session: AsyncSession, queue: str, caseworker: uuid.UUID, lease: timedelta, now: datetime
) -> tuple[QueueEntry, Referral] | None:
    claimable = or_(
        QueueEntry.status == EntryStatus.queued,
        and_(QueueEntry.status == EntryStatus.claimed, QueueEntry.lease_expires_at < now),
    )
    stmt = select(QueueEntry).where(QueueEntry.queue == queue, claimable).order_by(*QUEUE_ORDER).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    entry = await session.scalar(stmt)
    if entry is None:
        return None
    entry.status = EntryStatus.claimed
    entry.claimed_by = caseworker
    entry.lease_expires_at = now + lease
    await session.flush()
    referral = await session.get_one(Referral, entry.referral_id)
    return entry, referral


async def release_lapsed_leases(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(
        update(QueueEntry)
        .where(QueueEntry.status == EntryStatus.claimed, QueueEntry.lease_expires_at < now)
        .values(status=EntryStatus.queued, claimed_by=None, lease_expires_at=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def visible_to(session: AsyncSession, referral_id: uuid.UUID, queues: frozenset[str]) -> bool:
    found = await session.scalar(
        select(QueueEntry.id)
        .where(QueueEntry.referral_id == referral_id, QueueEntry.queue.in_(queues))
        .limit(1)
    )
    return found is not None


async def withdraw_open_entries(session: AsyncSession, referral_id: uuid.UUID) -> int:
    """Consent was withdrawn: every entry of the referral not yet closed leaves its queue for good.

    The status becomes `withdrawn` (never listed, never claimable) and any lease ends at once.
    """
    result = await session.execute(
        update(QueueEntry)
        .where(
            QueueEntry.referral_id == referral_id,
            QueueEntry.status.not_in((EntryStatus.closed, EntryStatus.withdrawn)),
        )
        .values(status=EntryStatus.withdrawn, lease_expires_at=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)
