"""Provider queues: listing and claiming, only ever within the caller's own queues."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import service as audit
from api.auth import Caller
from api.kit.crypto import Vault
from api.kit.models import utcnow
from api.kit.time import as_utc
from api.queue import repository
from api.queue.errors import QueueEmpty, QueueForbidden
from api.queue.models import QueueEntry
from api.queue.schemas import ClaimedCase, QueueItem, QueueList, QueueName
from api.referral import service as referral_service
from api.referral.models import Referral


def _check(caller: Caller, queue: QueueName) -> None:
    if queue not in caller.queues:
        raise QueueForbidden()


def _item(entry: QueueEntry, referral: Referral) -> QueueItem:
    read = referral_service.to_read(referral)
    return QueueItem(
        entry_id=str(entry.id),
        reference=referral.reference,
        status=entry.status,
        priority=referral.priority,
        tier=referral.tier,
        deadline=read.deadline,
        received_at=read.received_at,
        flags=read.flags,
        is_secondary=entry.is_secondary,
        lease_expires_at=as_utc(entry.lease_expires_at) if entry.lease_expires_at else None,
    )


async def list_queue(
    session: AsyncSession, caller: Caller, queue: QueueName, limit: int, offset: int
) -> QueueList:
    _check(caller, queue)
    rows = await repository.list_open(session, queue, limit, offset)
    # One event per listing, not per case: a listing shows references and triage fields, no personal data,
    # and caseworkers poll; the personal data is read by claim and by GET /v1/referrals, audited per case.
    await audit.record(
        session, caller, "queue.list", None, f"queue={queue} offset={offset} limit={limit} items={len(rows)}"
    )
    return QueueList(queue=queue, items=[_item(e, r) for e, r in rows])


async def claim(
    session: AsyncSession, vault: Vault, caller: Caller, queue: QueueName, lease_seconds: int
) -> ClaimedCase:
    _check(caller, queue)
    claimed = await repository.claim_next(
        session, queue, caller.id, timedelta(seconds=lease_seconds), utcnow()
    )
    if claimed is None:
        raise QueueEmpty()
    entry, referral = claimed
    assert entry.lease_expires_at is not None
    await audit.record(session, caller, "queue.claim", referral.id, f"queue={queue} entry={entry.id}")
    return ClaimedCase(
        entry_id=str(entry.id),
        lease_expires_at=as_utc(entry.lease_expires_at),
        case=referral_service.detail(vault, referral),
    )
