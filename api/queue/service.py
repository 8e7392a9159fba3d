"""Provider queues: listing, claiming and the case lifecycle, only ever within the caller's own queues.

Lifecycle of a queue entry (`TRANSITIONS` below is the table the code enforces):

    queued ──claim──► claimed ──accept──► accepted ──close──► closed
                        │  ▲ extend_lease     │
                        │  └──────┘           │
                        └──────return─────────┴──► returned (back to triage; off the provider's queue)

- claim: the next queued entry, or one whose lease lapsed, in queue order; leased to the caller.
- accept, extend_lease, return from `claimed`: only the lease holder, only while the lease runs.
- accept clears the lease: the lease only guards the window in which a caseworker has taken a case but not
  yet committed to it. An accepted case belongs to its caseworker (`claimed_by` stays), and nothing may
  ever put it back in the queue because a timer ran out; with no expiry on the row the worker's release
  and a claim's "lapsed" test cannot touch it, and a reader cannot mistake it for a running lease.
- return from `accepted`, and close: only the caseworker who accepted it.
- Anything else is `InvalidTransition` (409). Another caseworker's live lease or accepted case is
  `CaseHeldByAnother` (409, a conflict with the case's state, not a missing permission: the caller may work
  this queue, and may claim the case if the lease lapses). A lapsed lease is `LeaseLapsed` (409) whoever
  asks: it is claimable again, so it must be claimed afresh. An entry outside the queue in the path,
  including every other provider's entry, is `CaseNotFound` (404), exactly like an id that does not exist.

Every change is audited in the same transaction, with ids and codes only: a return's free-text note never
goes into the append-only audit chain, which cannot be erased.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import service as audit
from api.auth import Caller
from api.kit.crypto import Vault
from api.kit.models import utcnow
from api.queue import repository
from api.queue.errors import (
    CaseHeldByAnother,
    CaseNotFound,
    InvalidTransition,
    LeaseLapsed,
    QueueEmpty,
    QueueForbidden,
)
from api.queue.models import CloseOutcome, EntryStatus, QueueEntry, ReturnReason
from api.queue.schemas import CaseState, ClaimedCase, QueueItem, QueueList, ReturnToTriage
from api.referral import service as referral_service
from api.referral.models import Referral
from api.triage.schemas import Queue


class Action(StrEnum):
    accept = "accept"
    extend_lease = "extend_lease"
    return_to_triage = "return"
    close = "close"


# The statuses each action may start from, and the status it leads to (extend_lease keeps `claimed`).
TRANSITIONS: dict[Action, tuple[frozenset[EntryStatus], EntryStatus]] = {
    Action.accept: (frozenset({EntryStatus.claimed}), EntryStatus.accepted),
    Action.extend_lease: (frozenset({EntryStatus.claimed}), EntryStatus.claimed),
    Action.return_to_triage: (frozenset({EntryStatus.claimed, EntryStatus.accepted}), EntryStatus.returned),
    Action.close: (frozenset({EntryStatus.accepted}), EntryStatus.closed),
}


def _check(caller: Caller, queue: Queue) -> None:
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
        lease_expires_at=entry.lease_expires_at,
        callback_from=read.callback_from,
        callback_until=read.callback_until,
    )


def _audit_reason(entry: QueueEntry, detail: str | None = None) -> str:
    return f"queue={entry.queue} entry={entry.id}" + (f" {detail}" if detail else "")


def encode_return(reason: ReturnReason, note: str | None) -> str:
    return f"{reason}: {note}" if note else str(reason)


def decode_return(stored: str | None) -> tuple[ReturnReason | None, str | None]:
    if not stored:
        return None, None
    code, _, note = stored.partition(": ")
    return ReturnReason(code), note or None


def _state(entry: QueueEntry, referral: Referral) -> CaseState:
    reason, note = decode_return(entry.return_reason)
    return CaseState(
        entry_id=str(entry.id),
        reference=referral.reference,
        queue=Queue(entry.queue),
        status=EntryStatus(entry.status),
        lease_expires_at=entry.lease_expires_at,
        accepted_at=entry.accepted_at,
        closed_at=entry.closed_at,
        return_reason=reason,
        return_note=note,
        outcome=CloseOutcome(entry.outcome) if entry.outcome else None,
    )


async def list_queue(
    session: AsyncSession, caller: Caller, queue: Queue, limit: int, offset: int
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
    session: AsyncSession, vault: Vault, caller: Caller, queue: Queue, lease_seconds: int
) -> ClaimedCase:
    _check(caller, queue)
    claimed = await repository.claim_next(
        session, queue, caller.id, timedelta(seconds=lease_seconds), utcnow()
    )
    if claimed is None:
        raise QueueEmpty()
    entry, referral = claimed
    assert entry.lease_expires_at is not None
    await audit.record(session, caller, "queue.claim", entry.referral_id, _audit_reason(entry))
    return ClaimedCase(
        entry_id=str(entry.id),
        lease_expires_at=entry.lease_expires_at,
        case=referral_service.detail(vault, referral),
    )


async def _begin(
    session: AsyncSession,
    caller: Caller,
    queue: Queue,
    entry_id: uuid.UUID,
    action: Action,
    now: datetime,
) -> QueueEntry:
    """The entry, locked, once the caller may take `action` on it now; else the typed error."""
    _check(caller, queue)
    entry = await repository.entry_for_update(session, queue, entry_id)
    if entry is None:
        raise CaseNotFound()
    status = EntryStatus(entry.status)
    if repository.lease_lapsed(entry, now):
        raise LeaseLapsed(status=status)
    if status in (EntryStatus.claimed, EntryStatus.accepted) and entry.claimed_by != caller.id:
        raise CaseHeldByAnother(status=status)
    allowed_from, _ = TRANSITIONS[action]
    if status not in allowed_from:
        raise InvalidTransition(status=status)
    return entry


async def _finish(
    session: AsyncSession, caller: Caller, entry: QueueEntry, action: Action, detail: str | None = None
) -> CaseState:
    entry.status = TRANSITIONS[action][1]
    await repository.save(session)
    await audit.record(session, caller, f"queue.{action}", entry.referral_id, _audit_reason(entry, detail))
    return _state(entry, await repository.referral_of(session, entry))


async def accept(session: AsyncSession, caller: Caller, queue: Queue, entry_id: uuid.UUID) -> CaseState:
    now = utcnow()
    entry = await _begin(session, caller, queue, entry_id, Action.accept, now)
    entry.accepted_at = now
    entry.lease_expires_at = None
    return await _finish(session, caller, entry, Action.accept)


async def extend_lease(
    session: AsyncSession, caller: Caller, queue: Queue, entry_id: uuid.UUID, lease_seconds: int
) -> CaseState:
    """A fresh lease from now (not added to the old one, so holding a case needs a live caseworker)."""
    now = utcnow()
    entry = await _begin(session, caller, queue, entry_id, Action.extend_lease, now)
    entry.lease_expires_at = now + timedelta(seconds=lease_seconds)
    return await _finish(session, caller, entry, Action.extend_lease)


async def return_to_triage(
    session: AsyncSession, caller: Caller, queue: Queue, entry_id: uuid.UUID, request: ReturnToTriage
) -> CaseState:
    now = utcnow()
    entry = await _begin(session, caller, queue, entry_id, Action.return_to_triage, now)
    entry.return_reason = encode_return(request.reason, request.note)
    entry.lease_expires_at = None
    return await _finish(session, caller, entry, Action.return_to_triage, f"reason={request.reason}")


async def close(
    session: AsyncSession, caller: Caller, queue: Queue, entry_id: uuid.UUID, outcome: CloseOutcome
) -> CaseState:
    now = utcnow()
    entry = await _begin(session, caller, queue, entry_id, Action.close, now)
    entry.outcome = outcome
    entry.closed_at = now
    return await _finish(session, caller, entry, Action.close, f"outcome={outcome}")


# ---- what other features ask of the queues (api/intake, the worker) ----


async def enqueue(session: AsyncSession, referral: Referral, queue: str, *, secondary: bool) -> QueueEntry:
    return await repository.enqueue(session, referral, queue, secondary=secondary)


async def visible_to(session: AsyncSession, referral_id: uuid.UUID, queues: frozenset[str]) -> bool:
    """Whether the case has an entry in one of these queues (a provider may see it)."""
    return await repository.visible_to(session, referral_id, queues)


async def entries_in(
    session: AsyncSession, referral_id: uuid.UUID, queues: frozenset[str]
) -> list[tuple[EntryStatus, datetime]]:
    """Each of the case's entries in these queues: its status and when it last changed."""
    return await repository.entries_in(session, referral_id, queues)


async def withdraw_open_entries(session: AsyncSession, referral_id: uuid.UUID) -> int:
    return await repository.withdraw_open_entries(session, referral_id)


async def make_urgent(
    session: AsyncSession, referral_id: uuid.UUID, priority_rank: int, deadline: datetime | None
) -> int:
    return await repository.make_urgent(session, referral_id, priority_rank, deadline)


async def bring_forward(session: AsyncSession, referral_id: uuid.UUID, deadline: datetime) -> int:
    return await repository.bring_forward(session, referral_id, deadline)


async def release_lapsed_leases(session: AsyncSession, now: datetime) -> int:
    return await repository.release_lapsed_leases(session, now)
