"""Subject rights: find everything held about a person, export it, rectify contact details, erase a case;
and, for the bot, withdraw consent or mark danger by conversation when its own session has forgotten the
case.

- Finding is by blind index (phone, e-mail), by reference, or by the police crime reference; the contact
  details of the cases found then find the person's other cases and SMS rows (one step, so a case found
  by reference brings the same number's texts with it). Nothing is found by opening every sealed row.
- Every act is audited in the caller's transaction, with codes and counts, never the values.
- Rectification re-seals the person's details and replaces the blind indexes; on SQLite it turns on
  `secure_delete` for the connection first, so the page space of the old sealed value and the old index
  entries is zeroed rather than left in the file.
- Erasure is refused with its reason while a legal hold or a safeguarding basis applies; otherwise the
  retention engine removes the case from every store.

Services flush; the caller's session commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import service as audit
from api.auth import Caller
from api.config import Settings
from api.consent import service as consent_service
from api.consent.models import ConsentReceipt
from api.consent.schemas import RequestedBy, WithdrawalCreate, WithdrawalReason
from api.conversation.models import Conversation
from api.errors import UpstreamUnavailable
from api.intake import contact_checks
from api.intake import service as intake
from api.kit.crypto import DecryptionError, Vault
from api.kit.models import utcnow
from api.kit.phone import InvalidPhoneNumber, normalise
from api.queue import activity
from api.queue.models import QueueEntry
from api.referral.errors import ReferralNotFound
from api.referral.models import Referral
from api.referral.schemas import UrgentCreate, UrgentReason
from api.referral.service import (
    answers_aad,
    decision_of,
    email_index,
    external_ref_index,
    external_ref_of,
    person_aad,
    triage_input_of,
)
from api.retention import disposal
from api.retention import service as retention_service
from api.rights import repository
from api.rights.errors import ErasureUnavailable, InvalidSubject, NothingHeld
from api.rights.schemas import (
    ConversationUrgent,
    ConversationWithdrawal,
    RectifiableField,
    Rectification,
    StoreCounts,
    Subject,
)
from api.rights.transcripts import TranscriptsUnavailable, transcripts
from api.sms.identity import contact_aad, inbound_aad, outbound_aad
from api.sms.models import SmsContact, SmsInbound, SmsOutbound
from api.triage.schemas import Flag, LawfulBasis

UNREADABLE = "unreadable"


@dataclass
class Holdings:
    """Every row of every store found for one person."""

    referrals: list[Referral] = field(default_factory=list)
    receipts: list[ConsentReceipt] = field(default_factory=list)
    entries: list[QueueEntry] = field(default_factory=list)
    contacts: list[SmsContact] = field(default_factory=list)
    inbound: list[SmsInbound] = field(default_factory=list)
    outbound: list[SmsOutbound] = field(default_factory=list)
    conversations: list[Conversation] = field(default_factory=list)
    # Rasa's tracker store: the messages still held per conversation id (api/rights/transcripts.py).
    transcripts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (
            self.referrals
            or self.contacts
            or self.inbound
            or self.outbound
            or self.conversations
            or self.transcripts
        )

    def counts(self) -> StoreCounts:
        return StoreCounts(
            references=[r.reference for r in self.referrals],
            referrals=len(self.referrals),
            consent_receipts=len(self.receipts),
            queue_entries=len(self.entries),
            sms_contacts=len(self.contacts),
            sms_inbound=len(self.inbound),
            sms_outbound=len(self.outbound),
            conversations=len(self.conversations),
            transcript_messages=sum(len(messages) for messages in self.transcripts.values()),
        )


def _phone_index(vault: Vault, settings: Settings, value: str) -> str:
    try:
        e164 = normalise(value, settings.allow_fictional_phone_numbers)
    except InvalidPhoneNumber as exc:
        raise InvalidSubject() from exc
    return vault.index.of("phone", e164)


async def gather(session: AsyncSession, vault: Vault, settings: Settings, subject: Subject) -> Holdings:
    phones: set[str] = set()
    emails: set[str] = set()
    if subject.phone is not None:
        phones.add(_phone_index(vault, settings, subject.phone))
    if subject.email is not None:
        index = email_index(vault, subject.email)
        if index is None:
            raise InvalidSubject()
        emails.add(index)
    first = await repository.referrals_where(
        session,
        phone_indexes=phones,
        email_indexes=emails,
        references=[subject.reference] if subject.reference else [],
        external_ref_indexes=[external_ref_index(vault, subject.crime_reference)]
        if subject.crime_reference
        else [],
    )
    # One step further: the contact details of the cases found find the person's other cases.
    phones |= {r.phone_index for r in first if r.phone_index}
    emails |= {r.email_index for r in first if r.email_index}
    referrals = await repository.referrals_where(
        session, phone_indexes=phones, email_indexes=emails, references=[r.reference for r in first]
    )
    conversation_ids = {r.conversation_id for r in referrals if r.conversation_id}
    contacts = await repository.sms_contacts(session, phones, conversation_ids)
    conversation_ids |= {c.conversation_id for c in contacts}
    try:
        held_transcripts = await transcripts(settings, conversation_ids)
    except TranscriptsUnavailable as exc:
        raise UpstreamUnavailable() from exc
    receipts = await repository.receipts(session, {r.consent_receipt_id for r in referrals})
    # A grant recorded at first contact supersedes the receipt the case arrived with: that one too.
    earlier = {r.supersedes_id for r in receipts if r.kind == "grant" and r.supersedes_id is not None}
    if earlier:
        known = {r.id for r in receipts}
        receipts += [r for r in await repository.receipts(session, earlier) if r.id not in known]
        receipts.sort(key=lambda r: r.given_at)
    return Holdings(
        referrals=referrals,
        receipts=receipts,
        entries=await repository.queue_entries(session, [r.id for r in referrals]),
        contacts=contacts,
        inbound=await repository.sms_inbound(session, conversation_ids),
        outbound=await repository.sms_outbound(session, conversation_ids),
        conversations=await repository.conversations(session, conversation_ids),
        transcripts=held_transcripts,
    )


async def _audit_each(
    session: AsyncSession, caller: Caller, action: str, held: Holdings, reason: str
) -> None:
    ids: list[uuid.UUID | None] = [r.id for r in held.referrals]
    for referral_id in ids or [None]:
        await audit.record(session, caller, action, referral_id, reason)


async def find(
    session: AsyncSession, vault: Vault, settings: Settings, caller: Caller, subject: Subject
) -> StoreCounts:
    held = await gather(session, vault, settings, subject)
    await _audit_each(
        session, caller, "rights.find", held, f"lookup={subject.kind} found={len(held.referrals)}"
    )
    return held.counts()


# ---- the export ----


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _open(vault: Vault, sealed: bytes | None, aad: str) -> Any:
    if sealed is None:
        return None
    try:
        return vault.cipher.open_json(sealed, aad)
    except DecryptionError:
        return UNREADABLE


def _open_text(vault: Vault, sealed: bytes | None, aad: str) -> str | None:
    if sealed is None:
        return None
    try:
        return vault.cipher.open(sealed, aad.encode()).decode()
    except DecryptionError:
        return UNREADABLE


def _receipt(receipt: ConsentReceipt, referrer: Any) -> dict[str, Any]:
    return {
        "id": str(receipt.id),
        "kind": receipt.kind,
        "supersedes": str(receipt.supersedes_id) if receipt.supersedes_id else None,
        "lawful_basis": receipt.lawful_basis,
        "purposes": list(receipt.purposes),
        "wording_versions": list(receipt.wording_versions),
        "language": receipt.language,
        "channel": receipt.channel,
        "given_by": receipt.given_by,
        "given_at": _iso(receipt.given_at),
        "referrer": referrer,
    }


async def referrers(session: AsyncSession, vault: Vault, held: Holdings) -> dict[uuid.UUID, Any]:
    """Each receipt's referrer (an agency attesting consent), opened with its case's key."""
    opened: dict[uuid.UUID, Any] = {}
    for receipt in held.receipts:
        grant_id = consent_service.grant_id_of(receipt)
        cases = [r for r in held.referrals if r.consent_receipt_id == grant_id]
        opened[receipt.id], _ = await consent_service.open_referrer(session, vault, receipt, cases)
    return opened


def _activity(shown: activity.ShownActivity) -> dict[str, Any]:
    """A note, contact attempt or first contact on the case, as the service recorded it (the text opened;
    who wrote it is the provider's staff, not the person's data, and is left out)."""
    return {
        "kind": str(shown.kind),
        "at": _iso(shown.at),
        "channel": str(shown.channel) if shown.channel else None,
        "outcome": shown.outcome,
        "identity_checked": shown.identity_checked,
        "consent_given": shown.consent_given,
        "text": shown.text,
    }


def export_data(
    vault: Vault,
    held: Holdings,
    now: datetime,
    referrer_of: dict[uuid.UUID, Any],
    activity_of: dict[uuid.UUID, list[activity.ShownActivity]] | None = None,
) -> dict[str, Any]:
    """Everything held, opened, as JSON-ready data (the machine-readable half of a subject access)."""
    cases = []
    for referral in held.referrals:
        current = next((r for r in held.receipts if r.id == referral.consent_receipt_id), None)
        earlier = current.supersedes_id if current is not None else None
        receipts = [
            _receipt(receipt, referrer_of.get(receipt.id))
            for receipt in held.receipts
            if referral.consent_receipt_id in (receipt.id, receipt.supersedes_id) or receipt.id == earlier
        ]
        entries = [
            {
                "queue": str(e.queue),
                "status": str(e.status),
                "secondary": e.is_secondary,
                "created_at": _iso(e.created_at),
                "accepted_at": _iso(e.accepted_at),
                "closed_at": _iso(e.closed_at),
                "outcome": str(e.outcome) if e.outcome else None,
                "return_reason": e.return_reason,
            }
            for e in held.entries
            if e.referral_id == referral.id
        ]
        cases.append(
            {
                "reference": referral.reference,
                "source": referral.source,
                "language": referral.language,
                "received_at": _iso(referral.received_at),
                "conversation_id": referral.conversation_id,
                "crime_reference": external_ref_of(vault, referral),
                "person": _open(vault, referral.person_sealed, person_aad(referral.id)),
                "answers": _open(vault, referral.answers_sealed, answers_aad(referral.id)),
                "triage_input": triage_input_of(vault, referral),
                "decision": decision_of(vault, referral),
                "outcome": str(referral.outcome),
                "queue": str(referral.queue) if referral.queue else None,
                "priority": str(referral.priority),
                "deadline": _iso(referral.deadline),
                "withdrawn_at": _iso(referral.withdrawn_at),
                "callback": {"from": _iso(referral.callback_from), "until": _iso(referral.callback_until)},
                "consent_receipts": receipts,
                "queue_entries": entries,
                "case_activity": [_activity(a) for a in (activity_of or {}).get(referral.id, [])],
            }
        )
    return {
        "generated_at": now.isoformat(),
        "referrals": cases,
        "sms": {
            "contacts": [
                {
                    "conversation_id": c.conversation_id,
                    "phone": _open_text(vault, c.phone_sealed, contact_aad(c.conversation_id)),
                    "opted_out": c.opted_out,
                    "created_at": _iso(c.created_at),
                }
                for c in held.contacts
            ],
            "inbound": [
                {
                    "conversation_id": m.conversation_id,
                    "received_at": _iso(m.created_at),
                    "status": m.status,
                    "body": _open_text(vault, m.body_sealed, inbound_aad(m.message_sid)),
                }
                for m in held.inbound
            ],
            "outbound": [
                {
                    "conversation_id": m.conversation_id,
                    "created_at": _iso(m.created_at),
                    "state": m.state,
                    "delivery_status": m.delivery_status,
                    "body": _open_text(vault, m.body_sealed, outbound_aad(m.id)),
                }
                for m in held.outbound
            ],
        },
        "conversations": [
            {
                "id": c.id,
                "channel": c.channel,
                "language": c.language,
                "started_at": _iso(c.created_at),
                "last_message_at": _iso(c.last_message_at),
                "ended_at": _iso(c.ended_at),
            }
            for c in held.conversations
        ],
        "transcripts": held.transcripts,
    }


async def export(
    session: AsyncSession, vault: Vault, settings: Settings, caller: Caller, subject: Subject
) -> tuple[Holdings, dict[str, Any]]:
    held = await gather(session, vault, settings, subject)
    if held.empty:
        await _audit_each(session, caller, "rights.find", held, f"lookup={subject.kind} found=0")
        raise NothingHeld()
    notes = {r.id: await activity.of_referral(session, vault, r.id) for r in held.referrals}
    data = export_data(vault, held, utcnow(), await referrers(session, vault, held), notes)
    await _audit_each(session, caller, "rights.export", held, f"lookup={subject.kind}")
    return held, data


# ---- rectification ----


def _corrected(
    field_name: RectifiableField, value: str | bool | None, settings: Settings
) -> str | bool | None:
    if value is None:
        return None
    if field_name in (RectifiableField.sms_safe, RectifiableField.voicemail_safe):
        if not isinstance(value, bool):
            raise InvalidSubject()
        return value
    if not isinstance(value, str):
        raise InvalidSubject()
    if field_name == RectifiableField.phone:
        try:
            return normalise(value, settings.allow_fictional_phone_numbers)
        except InvalidPhoneNumber as exc:
            raise InvalidSubject() from exc
    if field_name == RectifiableField.email and "@" not in value:
        raise InvalidSubject()
    return value


async def rectify(
    session: AsyncSession, vault: Vault, settings: Settings, caller: Caller, body: Rectification
) -> None:
    """Replace one contact detail of a case: the person's details are re-sealed whole (a new nonce), the
    blind indexes follow, and nothing of the old value is kept (see the module's note on SQLite)."""
    referral = await repository.by_reference(session, body.reference, lock=True)
    if referral is None:
        raise NothingHeld()
    value = _corrected(body.field, body.value, settings)
    person = vault.cipher.open_json(referral.person_sealed, person_aad(referral.id))
    if not isinstance(person, dict):
        person = {}
    if value is None:
        person.pop(str(body.field), None)
    else:
        person[str(body.field)] = value
    if str(body.field) == "phone":  # a new number is not verified (api/intake/contact_checks.py)
        person = contact_checks.rectified(person, utcnow())
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text("PRAGMA secure_delete = ON"))
    referral.person_sealed = vault.cipher.seal_json(person, person_aad(referral.id))
    phone = person.get("phone")
    referral.phone_index = vault.index.of("phone", phone) if isinstance(phone, str) and phone else None
    referral.email_index = email_index(vault, person.get("email"))
    await session.flush()
    await audit.record(session, caller, "rights.rectify", referral.id, f"rectified field {body.field}")


# ---- erasure ----


async def hold_reason(session: AsyncSession, referral: Referral) -> str | None:
    """Why the case must be kept, as a code, or None when it may be erased.

    - `legal_hold`: an administrator put the case on hold (the retention feature's column);
    - `safeguarding_basis`: it is held on a safeguarding basis, not on the person's consent (the receipt's
      lawful basis: an agency's safeguarding referral, a child under 13 with a concern; see
      api/consent/giver.py);
    - `safeguarding_concern`: triage found a safeguarding concern (a child at risk of significant harm):
      the children's front door needs the record whatever the person now wants.
    """
    if retention_service.is_held(referral):
        return "legal_hold"
    receipts = await repository.receipts(session, [referral.consent_receipt_id])
    grant = next((r for r in receipts if r.id == referral.consent_receipt_id), None)
    if grant is not None and grant.lawful_basis == LawfulBasis.SAFEGUARDING:
        return "safeguarding_basis"
    if Flag.SAFEGUARDING in (referral.flags or []):
        return "safeguarding_concern"
    return None


@dataclass(frozen=True)
class ErasureOutcome:
    reference: str
    refused: str | None  # the reason code when refused
    removed: dict[str, int]


async def erase(
    session: AsyncSession, settings: Settings, caller: Caller, reference: str, now: datetime | None = None
) -> ErasureOutcome:
    """Erase one case at the person's request, or refuse with the reason. A refusal is audited and
    answered, not raised, so its audit event commits with the request."""
    referral = await repository.by_reference(session, reference, lock=True)
    if referral is None:
        raise NothingHeld()
    reason = await hold_reason(session, referral)
    if reason is not None:
        await audit.record(session, caller, "rights.erase_refused", referral.id, f"reason={reason}")
        return ErasureOutcome(reference, reason, {})
    await audit.record(session, caller, "rights.erase", referral.id, "reason=subject_request")
    removed = await _erase_referral(session, settings, referral, now or utcnow())
    return ErasureOutcome(reference, None, removed)


async def _erase_referral(
    session: AsyncSession, settings: Settings, referral: Referral, now: datetime
) -> dict[str, int]:
    """The retention engine's `erase_referral` removes the case from every store (api/retention/disposal.py):
    Rasa's transcript first, then the referral, its queue entries, conversation, SMS rows and idempotency
    records, and its consent receipts made unreadable. When Rasa's tracker store cannot be reached nothing
    is removed and the answer is 409 `erasure_unavailable` (try again), never a pretended erasure. The
    caller's transaction commits; then `truncate_logs` empties SQLite's write-ahead logs."""
    try:
        return await disposal.erase_referral(session, settings, referral, now=now, reason="erasure_request")
    except disposal.TrackerUnavailable as exc:
        raise ErasureUnavailable() from exc


# ---- the returning person (the bot, by conversation) ----


async def withdraw_for_conversation(
    session: AsyncSession, caller: Caller, conversation_id: str
) -> ConversationWithdrawal:
    """Withdraw the consent behind every referral the bot made in this conversation, through intake's
    withdrawal and its cascade (queues, outbox, audit). Referrals already withdrawn count as withdrawn
    (and are not withdrawn twice); none at all means nothing is held from this conversation."""
    referrals = await repository.bot_referrals_of_conversation(session, conversation_id)
    grants = list(dict.fromkeys(r.consent_receipt_id for r in referrals if r.withdrawn_at is None))
    body = WithdrawalCreate(
        reason=WithdrawalReason.person_request,
        requested_by=RequestedBy.person,
        conversation_id=conversation_id,
    )
    withdrawn_now = 0
    for grant_id in grants:
        withdrawal = await intake.withdraw(session, caller, grant_id, body)
        withdrawn_now += int(withdrawal.created)
    return ConversationWithdrawal(references=[r.reference for r in referrals], withdrawn_now=withdrawn_now)


async def urgent_for_conversation(
    session: AsyncSession, caller: Caller, conversation_id: str
) -> ConversationUrgent:
    """Make every open case of this conversation urgent (intake's mark, idempotent and audited)."""
    referrals = await repository.open_referrals_of_conversation(session, conversation_id)
    body = UrgentCreate(reason=UrgentReason.danger_reported, conversation_id=conversation_id)
    marked = []
    for referral in referrals:
        try:
            read = await intake.mark_urgent(session, caller, referral.reference, body)
        except ReferralNotFound:
            continue
        marked.append(str(read.reference))
    return ConversationUrgent(references=marked)
