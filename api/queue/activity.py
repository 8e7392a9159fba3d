"""Notes, contact attempts and first contact on a case: what a caseworker did, by whom, when.

Only the caseworker who holds the case (claimed or accepted it) records these. The free text is sealed by
the vault, bound to the activity and its case (a note may hold anything); codes stay clear. Every record is
audited with ids and codes only. First contact is recorded once: it sets the entry's `first_contact_at`,
which says whether the deadline the person was promised was met. For a `consent_to_seek` case (police
feed, safeguarding) the person's own consent is asked for at first contact and recorded with it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import service as audit
from api.auth import Caller
from api.kit.crypto import DecryptionError, Vault
from api.kit.models import utcnow
from api.principal.models import Principal
from api.queue.errors import CaseHeldByAnother, InvalidTransition
from api.queue.models import (
    NOTE_LENGTH,
    ActivityKind,
    AttemptOutcome,
    CaseActivity,
    ContactChannel,
    EntryStatus,
    FirstContactOutcome,
    QueueEntry,
)

HOLDING = (EntryStatus.claimed, EntryStatus.accepted)


def text_aad(activity_id: uuid.UUID, referral_id: uuid.UUID) -> str:
    return f"case_activity:{activity_id}:{referral_id}"


def _held(caller: Caller, entry: QueueEntry) -> None:
    status = EntryStatus(entry.status)
    if status not in HOLDING:
        raise InvalidTransition(status=status)
    if entry.claimed_by != caller.id:
        raise CaseHeldByAnother(status=status)


async def _add(
    session: AsyncSession,
    vault: Vault,
    caller: Caller,
    entry: QueueEntry,
    kind: ActivityKind,
    at: datetime,
    text: str | None,
    **fields: object,
) -> CaseActivity:
    _held(caller, entry)
    activity_id = uuid.uuid4()
    text = (text or "").strip()[:NOTE_LENGTH] or None
    activity = CaseActivity(
        id=activity_id,
        referral_id=entry.referral_id,
        entry_id=entry.id,
        author_id=caller.id,
        kind=kind,
        at=at,
        text_sealed=vault.cipher.seal_json(text, text_aad(activity_id, entry.referral_id)) if text else None,
        **fields,
    )
    session.add(activity)
    await session.flush()
    codes = " ".join(f"{k}={v}" for k, v in fields.items() if v is not None)
    await audit.record(
        session, caller, f"case.{kind}", entry.referral_id, f"entry={entry.id} activity={activity_id} {codes}"
    )
    return activity


async def add_note(
    session: AsyncSession, vault: Vault, caller: Caller, entry: QueueEntry, text: str
) -> CaseActivity:
    if not text.strip():
        raise ValueError("a note needs words")
    return await _add(session, vault, caller, entry, ActivityKind.note, utcnow(), text)


async def record_attempt(
    session: AsyncSession,
    vault: Vault,
    caller: Caller,
    entry: QueueEntry,
    channel: ContactChannel,
    outcome: AttemptOutcome,
    text: str | None = None,
) -> CaseActivity:
    return await _add(
        session, vault, caller, entry, ActivityKind.attempt, utcnow(), text, channel=channel, outcome=outcome
    )


async def record_first_contact(
    session: AsyncSession,
    vault: Vault,
    caller: Caller,
    entry: QueueEntry,
    *,
    at: datetime,
    channel: ContactChannel,
    outcome: FirstContactOutcome,
    identity_checked: bool,
    consent_given: bool | None,
    text: str | None = None,
) -> CaseActivity:
    """Once per entry; `at` may be earlier than now (recorded after the call) but never in the future."""
    if entry.first_contact_at is not None:
        raise InvalidTransition(status=EntryStatus(entry.status))
    now = utcnow()
    at = min(at, now)
    activity = await _add(
        session,
        vault,
        caller,
        entry,
        ActivityKind.first_contact,
        at,
        text,
        channel=channel,
        outcome=outcome,
        identity_checked=identity_checked,
        consent_given=consent_given,
    )
    entry.first_contact_at = at
    await session.flush()
    return activity


@dataclass(frozen=True)
class ShownActivity:
    kind: ActivityKind
    at: datetime
    author: str
    channel: ContactChannel | None
    outcome: str | None
    identity_checked: bool | None
    consent_given: bool | None
    text: str | None


async def of_referral(session: AsyncSession, vault: Vault, referral_id: uuid.UUID) -> list[ShownActivity]:
    """A case's activity, oldest first, the text opened (a text that cannot be opened shows as None)."""
    rows = await session.execute(
        select(CaseActivity, Principal.name)
        .join(Principal, Principal.id == CaseActivity.author_id)
        .where(CaseActivity.referral_id == referral_id)
        .order_by(CaseActivity.at, CaseActivity.created_at)
    )
    shown = []
    for activity, author in rows:
        text = None
        if activity.text_sealed is not None:
            try:
                text = vault.cipher.open_json(activity.text_sealed, text_aad(activity.id, referral_id))
            except DecryptionError:
                text = None
        shown.append(
            ShownActivity(
                ActivityKind(activity.kind),
                activity.at,
                author,
                ContactChannel(activity.channel) if activity.channel else None,
                activity.outcome,
                activity.identity_checked,
                activity.consent_given,
                text,
            )
        )
    return shown
