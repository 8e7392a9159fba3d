"""All SQL of the service queues.

A claim picks the first claimable entry in queue order and leases it to one caseworker. On PostgreSQL the
row is taken with `FOR UPDATE SKIP LOCKED`, so concurrent claimers skip each other's rows; on SQLite every
transaction is `BEGIN IMMEDIATE` (see api/db.py), so claims are serialised. The same code runs on both:
`api.kit.sql.lock_rows` is the one place that looks at the dialect. A transition on one entry locks that
row (`FOR UPDATE`, waiting) so it sees, and cannot overwrite, a concurrent claim.

A lease has lapsed when `lease_expires_at < now`; `lapsed()` is that rule in SQL and `lease_lapsed()` the
same rule in Python, used by claims, by the worker's release and by the transitions alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.kit.sql import lock_rows
from api.queue.models import CloseOutcome, EntryStatus, QueueEntry
from api.referral.models import Referral
from api.triage.queue_order import PRIORITY_RANK
from api.triage.schemas import Queue

OPEN_STATUSES = (EntryStatus.queued, EntryStatus.claimed, EntryStatus.accepted)


# Queue order (TRIAGE.md): priority, then deadline, then time received; the id only breaks exact ties.
# NULLS LAST spelled out: PostgreSQL and SQLite disagree on where NULL sorts by default.
QUEUE_ORDER = (
    QueueEntry.priority_rank,
    QueueEntry.deadline.asc().nulls_last(),
    QueueEntry.received_at,
    QueueEntry.id,
)


def queue_position(entry: QueueEntry) -> tuple[int, bool, datetime, datetime, uuid.UUID]:
    """`QUEUE_ORDER` for an entry in hand."""
    deadline = entry.deadline
    earliest = datetime.min.replace(tzinfo=UTC)
    return entry.priority_rank, deadline is None, deadline or earliest, entry.received_at, entry.id


def lapsed(now: datetime) -> ColumnElement[bool]:
    """Claimed, and the lease ran out: claimable by anyone, and put back by the worker."""
    return and_(QueueEntry.status == EntryStatus.claimed, QueueEntry.lease_expires_at < now)


def lease_lapsed(entry: QueueEntry, now: datetime) -> bool:
    """`lapsed()` for an entry in hand."""
    return (
        entry.status == EntryStatus.claimed
        and entry.lease_expires_at is not None
        and entry.lease_expires_at < now
    )


async def enqueue(session: AsyncSession, referral: Referral, queue: str, *, secondary: bool) -> QueueEntry:
    entry = QueueEntry(
        referral_id=referral.id,
        queue=queue,
        is_secondary=secondary,
        status=EntryStatus.queued,
        priority_rank=PRIORITY_RANK[referral.priority],
        deadline=referral.deadline,
        received_at=referral.received_at,
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
    """Lease the first claimable entry of `queue` to `caseworker`: the first queued one or the first whose
    lease lapsed, whichever comes first in queue order.

    Two ordered reads, one per status, rather than one read with `status = 'queued' OR lapsed`: each
    follows the queue-order index, so a claim costs about the same in a queue of 50 cases or 50,000,
    where the OR made both databases sort the whole queue on every claim. On PostgreSQL the candidate
    that is not taken (rare: only when a lease has lapsed) stays locked until this transaction ends,
    and concurrent claimers skip it for those few milliseconds.
    """
    candidates = []
    for claimable in (QueueEntry.status == EntryStatus.queued, lapsed(now)):
        stmt = select(QueueEntry).where(QueueEntry.queue == queue, claimable).order_by(*QUEUE_ORDER).limit(1)
        candidate = await session.scalar(lock_rows(session, stmt, skip_locked=True))
        if candidate is not None:
            candidates.append(candidate)
    if not candidates:
        return None
    entry = min(candidates, key=queue_position)
    entry.status = EntryStatus.claimed
    entry.claimed_by = caseworker
    entry.lease_expires_at = now + lease
    await session.flush()
    referral = await session.get_one(Referral, entry.referral_id)
    return entry, referral


async def release_lapsed_leases(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(
        update(QueueEntry)
        .where(lapsed(now))
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


async def entries_in(
    session: AsyncSession, referral_id: uuid.UUID, queues: frozenset[str]
) -> list[tuple[EntryStatus, datetime]]:
    """The case's entries in these queues: each one's status and when it last changed (closed or updated)."""
    rows = await session.execute(
        select(QueueEntry.status, QueueEntry.closed_at, QueueEntry.updated_at).where(
            QueueEntry.referral_id == referral_id, QueueEntry.queue.in_(queues)
        )
    )
    return [(EntryStatus(status), closed_at or updated_at) for status, closed_at, updated_at in rows]


async def entry_for_update(session: AsyncSession, queue: str, entry_id: uuid.UUID) -> QueueEntry | None:
    """The entry with this id in this queue, its row locked until the transaction ends; else None.

    Waits for a concurrent claim of the same row rather than skipping it, and reloads the row as it is
    after that claim (populate_existing), so a transition always decides on the current holder.
    """
    stmt = (
        select(QueueEntry)
        .where(QueueEntry.id == entry_id, QueueEntry.queue == queue)
        .execution_options(populate_existing=True)
    )
    result: QueueEntry | None = await session.scalar(lock_rows(session, stmt))
    return result


async def referral_of(session: AsyncSession, entry: QueueEntry) -> Referral:
    return await session.get_one(Referral, entry.referral_id)


async def save(session: AsyncSession) -> None:
    await session.flush()


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


async def close_open_entries(
    session: AsyncSession,
    referral_id: uuid.UUID,
    outcome: CloseOutcome,
    now: datetime,
    *,
    except_id: uuid.UUID,
) -> int:
    """Close every open entry (queued, claimed, accepted) of the referral but one, with `outcome`."""
    result = await session.execute(
        update(QueueEntry)
        .where(
            QueueEntry.referral_id == referral_id,
            QueueEntry.id != except_id,
            QueueEntry.status.in_((EntryStatus.queued, EntryStatus.claimed, EntryStatus.accepted)),
        )
        .values(status=EntryStatus.closed, outcome=outcome, closed_at=now, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def make_urgent(
    session: AsyncSession, referral_id: uuid.UUID, priority_rank: int, deadline: datetime | None
) -> int:
    """The case became urgent: every open entry of it (not closed, returned or withdrawn) takes the new
    priority and deadline, so it sorts to the front of its queue. Returns how many entries moved."""
    result = await session.execute(
        update(QueueEntry)
        .where(
            QueueEntry.referral_id == referral_id,
            QueueEntry.status.in_((EntryStatus.queued, EntryStatus.claimed, EntryStatus.accepted)),
        )
        .values(priority_rank=priority_rank, deadline=deadline)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def bring_forward(session: AsyncSession, referral_id: uuid.UUID, deadline: datetime) -> int:
    """Every open entry of the case whose deadline is later than `deadline` (or unset) takes `deadline` (a
    call-back the person asked for). Returns how many entries moved."""
    result = await session.execute(
        update(QueueEntry)
        .where(
            QueueEntry.referral_id == referral_id,
            QueueEntry.status.in_((EntryStatus.queued, EntryStatus.claimed, EntryStatus.accepted)),
            or_(QueueEntry.deadline.is_(None), QueueEntry.deadline > deadline),
        )
        .values(deadline=deadline)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# ---- the console's reads (api/console) ----


async def entry_in(
    session: AsyncSession, entry_id: uuid.UUID, queues: frozenset[str]
) -> tuple[QueueEntry, Referral] | None:
    """The entry with this id if it is in one of `queues`, with its referral; else None (another team's
    entry looks exactly like a missing one)."""
    if not queues:
        return None
    row = (
        await session.execute(
            select(QueueEntry, Referral)
            .join(Referral, Referral.id == QueueEntry.referral_id)
            .where(QueueEntry.id == entry_id, QueueEntry.queue.in_(queues))
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def list_returned(
    session: AsyncSession, queues: frozenset[str], limit: int
) -> Sequence[tuple[QueueEntry, Referral]]:
    """Cases handed back to triage from these queues and not re-routed yet, in queue order."""
    if not queues:
        return []
    rows = await session.execute(
        select(QueueEntry, Referral)
        .join(Referral, Referral.id == QueueEntry.referral_id)
        .where(QueueEntry.queue.in_(queues), QueueEntry.status == EntryStatus.returned)
        .order_by(*QUEUE_ORDER)
        .limit(limit)
    )
    return [(entry, referral) for entry, referral in rows]


async def open_entry_exists(session: AsyncSession, referral_id: uuid.UUID, queue: str) -> bool:
    found = await session.scalar(
        select(QueueEntry.id)
        .where(
            QueueEntry.referral_id == referral_id,
            QueueEntry.queue == queue,
            QueueEntry.status.in_(OPEN_STATUSES),
        )
        .limit(1)
    )
    return found is not None


async def entries_of_referrals(
    session: AsyncSession, referral_ids: Sequence[uuid.UUID], queues: frozenset[str], limit: int
) -> Sequence[tuple[QueueEntry, Referral]]:
    """The entries of these referrals in these queues (newest first): what a search may show."""
    if not referral_ids or not queues:
        return []
    rows = await session.execute(
        select(QueueEntry, Referral)
        .join(Referral, Referral.id == QueueEntry.referral_id)
        .where(QueueEntry.referral_id.in_(referral_ids), QueueEntry.queue.in_(queues))
        .order_by(QueueEntry.created_at.desc())
        .limit(limit)
    )
    return [(entry, referral) for entry, referral in rows]


async def referral_ids_by(
    session: AsyncSession,
    *,
    reference: str | None = None,
    phone_index: str | None = None,
    external_ref_index: str | None = None,
    limit: int = 50,
) -> list[uuid.UUID]:
    conditions = []
    if reference:
        conditions.append(Referral.reference == reference)
    if phone_index:
        conditions.append(Referral.phone_index == phone_index)
    if external_ref_index:
        conditions.append(Referral.external_ref_index == external_ref_index)
    if not conditions:
        return []
    rows = await session.scalars(select(Referral.id).where(or_(*conditions)).limit(limit))
    return list(rows)


async def phone_on_perpetrator_referral(session: AsyncSession, referral: Referral) -> bool:
    """Whether this case's number (by its blind index) is also on another case that is a perpetrator's
    self-referral. Only the yes or no leaves here: never which case."""
    if not referral.phone_index:
        return False
    found = await session.scalar(
        select(Referral.id)
        .where(
            Referral.phone_index == referral.phone_index,
            Referral.id != referral.id,
            or_(
                Referral.queue == Queue.DOMESTIC_ABUSE_PERPETRATOR,
                Referral.secondary_queue == Queue.DOMESTIC_ABUSE_PERPETRATOR,
            ),
        )
        .limit(1)
    )
    return found is not None
