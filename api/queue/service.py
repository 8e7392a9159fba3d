"""Provider queues: listing, claiming and the case lifecycle, only ever within the caller's own queues.

Lifecycle of a queue entry (`TRANSITIONS` below is the table the code enforces):

    queued ──claim──► claimed ──accept──► accepted ──close──► closed
                        │  ▲ extend_lease     │
                        │  └──────┘           │
                        ├──────return─────────┴──► returned (back to triage; off the provider's queue)
                        │                     │       │
                        └──────transfer───────┴───────┴──re-route──► transferred (+ a new queued entry
                                                                       in the other queue)

- claim: the next queued entry, or one whose lease lapsed, in queue order; leased to the caller.
- accept, extend_lease, return from `claimed`: only the lease holder, only while the lease runs.
- accept clears the lease: the lease only guards the window in which a caseworker has taken a case but not
  yet committed to it. An accepted case belongs to its caseworker (`claimed_by` stays), and nothing may
  ever put it back in the queue because a timer ran out; with no expiry on the row the worker's release
  and a claim's "lapsed" test cannot touch it, and a reader cannot mistake it for a running lease.
- return from `accepted`, and close: only the caseworker who accepted it.
- transfer from `claimed` or `accepted`: only the holder (as for return); re-route of a `returned` case: a
  team lead of the queue (the console's triage inbox). Either way a new `queued` entry in the other queue
  keeps the priority and the deadline the person was promised, and points back (`transferred_from`).
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
    transfer = "transfer"
    close_declined = "close_declined"


# The statuses each action may start from, and the status it leads to (extend_lease keeps `claimed`).
TRANSITIONS: dict[Action, tuple[frozenset[EntryStatus], EntryStatus]] = {
    Action.accept: (frozenset({EntryStatus.claimed}), EntryStatus.accepted),
    Action.extend_lease: (frozenset({EntryStatus.claimed}), EntryStatus.claimed),
    Action.return_to_triage: (frozenset({EntryStatus.claimed, EntryStatus.accepted}), EntryStatus.returned),
    Action.close: (frozenset({EntryStatus.accepted}), EntryStatus.closed),
    # The person declined consent at first contact (a `consent_to_seek` case): claimed or accepted, closed.
    Action.close_declined: (frozenset({EntryStatus.claimed, EntryStatus.accepted}), EntryStatus.closed),
    Action.transfer: (
        frozenset({EntryStatus.claimed, EntryStatus.accepted, EntryStatus.returned}),
        EntryStatus.transferred,
    ),
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
    if outcome == CloseOutcome.consent_declined:
        # Only consent declined at first contact closes so (close_declined, with its retention class).
        raise InvalidTransition(status=EntryStatus(entry.status))
    entry.outcome = outcome
    entry.closed_at = now
    return await _finish(session, caller, entry, Action.close, f"outcome={outcome}")


async def close_declined(session: AsyncSession, caller: Caller, queue: Queue, entry_id: uuid.UUID) -> int:
    """The person declined consent at first contact: the holder's entry closes with the outcome
    `consent_declined` (from claimed or accepted), and so does every other open entry of the case (a
    secondary queue's), so no service works a case it may not hold. Returns how many entries closed."""
    now = utcnow()
    entry = await _begin(session, caller, queue, entry_id, Action.close_declined, now)
    entry.outcome = CloseOutcome.consent_declined
    entry.closed_at = now
    entry.lease_expires_at = None
    others = await repository.close_open_entries(
        session, entry.referral_id, CloseOutcome.consent_declined, now, except_id=entry.id
    )
    await _finish(session, caller, entry, Action.close_declined, f"outcome=consent_declined others={others}")
    return 1 + others


async def transfer(
    session: AsyncSession,
    caller: Caller,
    queue: Queue,
    entry_id: uuid.UUID,
    target: Queue,
    request: ReturnToTriage,
    *,
    may_reroute: bool,
) -> QueueEntry:
    """Move a case to another queue with a reason: the holder of a claimed or accepted case, or (with
    `may_reroute`, a team lead) a returned one. Returns the new entry."""
    now = utcnow()
    entry = await _begin(session, caller, queue, entry_id, Action.transfer, now)
    if EntryStatus(entry.status) == EntryStatus.returned and not may_reroute:
        raise InvalidTransition(status=EntryStatus.returned)
    if target == queue or await repository.open_entry_exists(session, entry.referral_id, target):
        raise InvalidTransition(status=EntryStatus(entry.status))
    entry.return_reason = encode_return(request.reason, request.note)
    entry.lease_expires_at = None
    entry.status = EntryStatus.transferred
    moved = QueueEntry(
        referral_id=entry.referral_id,
        queue=target,
        is_secondary=entry.is_secondary,
        status=EntryStatus.queued,
        priority_rank=entry.priority_rank,
        deadline=entry.deadline,
        received_at=entry.received_at,
        transferred_from=entry.id,
    )
    session.add(moved)
    await repository.save(session)
    await audit.record(
        session,
        caller,
        "queue.transfer",
        entry.referral_id,
        _audit_reason(entry, f"to={target} new_entry={moved.id} reason={request.reason}"),
    )
    return moved


async def reroute_retriaged(
    session: AsyncSession,
    caller: Caller,
    queue: Queue,
    entry_id: uuid.UUID,
    target: Queue,
    *,
    priority_rank: int,
    deadline: datetime | None,
    detail: str,
) -> QueueEntry:
    """A team lead re-triaged a returned case (api/intake/retriage.py): the returned entry is marked
    transferred and a new queued entry in the new decision's queue (which may be the same queue) carries
    the case on, with the new decision's priority and deadline, pointing back. Returns the new entry."""
    now = utcnow()
    entry = await _begin(session, caller, queue, entry_id, Action.transfer, now)
    if EntryStatus(entry.status) != EntryStatus.returned:
        raise InvalidTransition(status=EntryStatus(entry.status))
    if target != queue and await repository.open_entry_exists(session, entry.referral_id, target):
        raise InvalidTransition(status=EntryStatus(entry.status))
    entry.status = EntryStatus.transferred
    moved = QueueEntry(
        referral_id=entry.referral_id,
        queue=target,
        is_secondary=False,
        status=EntryStatus.queued,
        priority_rank=priority_rank,
        deadline=deadline,
        received_at=entry.received_at,
        transferred_from=entry.id,
    )
    session.add(moved)
    await repository.save(session)
    await audit.record(
        session,
        caller,
        "queue.retriage",
        entry.referral_id,
        _audit_reason(entry, f"to={target} new_entry={moved.id} {detail}"),
    )
    return moved


async def open_entry_exists(session: AsyncSession, referral_id: uuid.UUID, queue: str) -> bool:
    return await repository.open_entry_exists(session, referral_id, queue)


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


# ---- what the console asks of the queues (api/console): reads within the person's queues ----


async def open_entries(session: AsyncSession, queue: str, limit: int) -> list[tuple[QueueEntry, Referral]]:
    return list(await repository.list_open(session, queue, limit, 0))


async def entry_in(
    session: AsyncSession, entry_id: uuid.UUID, queues: frozenset[str]
) -> tuple[QueueEntry, Referral] | None:
    return await repository.entry_in(session, entry_id, queues)


async def returned_entries(
    session: AsyncSession, queues: frozenset[str], limit: int
) -> list[tuple[QueueEntry, Referral]]:
    return list(await repository.list_returned(session, queues, limit))


async def search(
    session: AsyncSession,
    queues: frozenset[str],
    *,
    reference: str | None,
    phone_index: str | None,
    external_ref_index: str | None,
    limit: int = 50,
) -> list[tuple[QueueEntry, Referral]]:
    """Entries in `queues` of the cases with this reference, phone blind index or crime-reference blind
    index (exact matches only)."""
    ids = await repository.referral_ids_by(
        session, reference=reference, phone_index=phone_index, external_ref_index=external_ref_index
    )
    return list(await repository.entries_of_referrals(session, ids, queues, limit))


async def entry_for_update(session: AsyncSession, queue: str, entry_id: uuid.UUID) -> QueueEntry | None:
    return await repository.entry_for_update(session, queue, entry_id)


def lease_lapsed(entry: QueueEntry, now: datetime) -> bool:
    return repository.lease_lapsed(entry, now)


async def phone_on_perpetrator_referral(session: AsyncSession, referral: Referral) -> bool:
    return await repository.phone_on_perpetrator_referral(session, referral)
