"""Intake: the referral hub. It owns what spans features, and composes them through their services:

- `create` / `store`: a referral's consent receipt (consent), its triage decision (triage), the referral
  (referral) and its queue entries (queue), in the caller's one transaction (DESIGN §3);
- `withdraw`: a consent withdrawal and its cascade, one named step each, in the same transaction:
  1. every referral the grant stands behind gets `withdrawn_at`;
  2. every queue entry of those referrals that is not closed becomes `withdrawn`, so the case leaves the
     providers' queues (and providers can no longer open it);
  3. pending outbound messages to the person are cancelled (`cancel_pending_outbound_messages`);
  4. an audit event per referral records who withdrew, why (a reason code) and who asked;
  5. the referral's retention becomes `withdrawn` (deleted RETENTION_WITHDRAWN_DAYS later, unless held),
     and the anonymous counter of withdrawals is added to.
  Withdrawing an already withdrawn grant is idempotent: the existing withdrawal is returned unchanged (and
  the repeat is audited), so retries over a bad connection never record one decision twice;
- `mark_urgent`, `request_callback`: changes to a case after hand-off that move its queue entries;
- `get_for` / `read_for`: who may see a case (its creator, an administrator, a provider whose queue holds it).

No feature imports another feature's repository (tests/api/test_feature_imports.py); the features do not
import this module. Services flush; the caller's session commits.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import service as audit
from api.auth import Caller
from api.config import Settings
from api.consent import service as consent_service
from api.consent.errors import ConsentNotFound, ConsentNotWithdrawable
from api.consent.giver import NoValidConsent, consent_basis
from api.consent.models import ConsentReceipt
from api.consent.schemas import ReceiptKind, WithdrawalCreate
from api.encryption import case_keys
from api.hours import service as hours_service
from api.intake import contact_checks
from api.kit.crypto import Vault
from api.kit.models import utcnow
from api.kit.time import as_london, as_utc
from api.principal.models import PrincipalKind
from api.queue import service as queue_service
from api.queue.models import EntryStatus
from api.referral import service as referral_service
from api.referral.errors import (
    CallbackUnavailable,
    ConsentGiverInvalid,
    ConsentRequired,
    InvalidAnswers,
    ReferralNotFound,
    SafeguardingRoleRequired,
    UnknownConsentWording,
)
from api.referral.models import Referral
from api.referral.schemas import (
    AgencyBasis,
    CallbackCreate,
    DetailWithheld,
    GivenBy,
    Purpose,
    ReferralCreate,
    ReferralDetail,
    ReferralRead,
    UrgentCreate,
)
from api.referral.service import Parts, referrer_aad
from api.retention import policy as retention_policy
from api.sms import outbox as sms_outbox
from api.stats import service as stats
from api.triage import TriageDecision, TriageInput, evaluate
from api.triage.deadlines import DeadlineKind, contact_deadline
from api.triage.queue_order import PRIORITY_RANK
from api.triage.schemas import Consent, Flag, LawfulBasis, Outcome, Priority

logger = logging.getLogger("api.consent")

SHARING_PURPOSES = {Purpose.store_and_process, Purpose.share_with_provider}


def _triage_input(
    data: dict[str, Any], caller: Caller, received_at: datetime, *, lawful_basis: str, consent: Consent | None
) -> TriageInput:
    """The triage input as the server sees it: the lawful basis and consent from the receipt, the role from
    the caller, the time now."""
    data = {**data, "received_at": received_at, "lawful_basis": lawful_basis}
    if consent is not None:
        data["consent"] = consent
    if caller.kind == PrincipalKind.agency:
        data["reporter_role"] = "third_party"
    return TriageInput.model_validate(data)


def _unstored(
    decision: TriageDecision, received_at: datetime, outcome: Outcome | None = None
) -> ReferralRead:
    dumped: dict[str, Any] = decision.model_dump(mode="json")
    return ReferralRead(
        reference=None,
        outcome=outcome or dumped["outcome"],
        queue=None,
        secondary_queue=None,
        tier=None,
        priority=dumped["priority"],
        emergency=dumped["emergency"],
        deadline=None,
        flags=dumped["flags"],
        rules_version=dumped["rules_version"],
        received_at=received_at,
    )


async def create(
    session: AsyncSession,
    vault: Vault,
    caller: Caller,
    payload: ReferralCreate,
    *,
    allow_fictional_phones: bool = False,
) -> ReferralRead:
    """Check, triage and store one referral (the bot's, or an agency's through its flow); flushes only.

    Nothing is kept without consent to keep it, or (agencies) a safeguarding basis recorded by a permitted
    role; who may consent for a child follows api/consent/giver.py."""
    received_at = utcnow()
    consent = payload.consent
    agency = caller.kind == PrincipalKind.agency
    if agency:
        parts = referral_service.agency_parts(payload, as_london(received_at).date(), allow_fictional_phones)
        basis = str(consent.lawful_basis)
    elif payload.triage is None:
        raise InvalidAnswers([("triage", "is required")])
    else:
        parts = Parts(
            payload.answers, payload.person.model_dump(exclude_none=True), payload.triage.model_dump()
        )
        basis = str(payload.triage.lawful_basis)
    if agency and (consent.referrer is None or consent.given_by == GivenBy.person):
        raise ConsentRequired()
    if agency and basis == AgencyBasis.safeguarding:
        # Whether this agency may refer without consent is the principal's attribute, set by an admin; the
        # role the body names is recorded, never trusted for this.
        if consent.referrer is None or not caller.may_refer_without_consent:
            raise SafeguardingRoleRequired()
        triage_input = _triage_input(
            parts.triage, caller, received_at, lawful_basis=basis, consent=Consent.NOT_ASKED
        )
        decision = evaluate(triage_input)
        given_by = consent.given_by
    else:
        given = SHARING_PURPOSES <= set(consent.purposes)
        consent_value = (
            (Consent.GIVEN if given else Consent.REFUSED) if basis == LawfulBasis.CONSENT else None
        )
        triage_input = _triage_input(
            parts.triage, caller, received_at, lawful_basis=basis, consent=consent_value
        )
        decision = evaluate(triage_input)
        if decision.outcome == Outcome.REJECTED_NO_CONSENT:
            raise ConsentRequired()
        if Purpose.store_and_process not in consent.purposes:
            # Nothing may be kept without consent to store it: answer with the decision, keep nothing.
            return _unstored(decision, received_at)
        concern = Flag.SAFEGUARDING in decision.flags or triage_input.child_safeguarding_concern
        try:
            who = consent_basis(triage_input.age_years, consent.given_by, concern)
        except NoValidConsent as exc:
            if exc.invalid:
                raise ConsentGiverInvalid() from exc
            # A child under 13 alone, with no safeguarding concern: a parent or carer must consent.
            return _unstored(decision, received_at, outcome=Outcome.SIGNPOSTED)
        given_by = who.given_by
        if who.lawful_basis != basis:
            # Under 13 with a safeguarding concern: the safeguarding basis, consent sought at first contact.
            triage_input = _triage_input(
                parts.triage, caller, received_at, lawful_basis=who.lawful_basis, consent=Consent.NOT_ASKED
            )
            decision = evaluate(triage_input)
    if not await consent_service.all_known(session, consent.wording_versions):
        raise UnknownConsentWording()

    referral = await store(
        session,
        vault,
        source=payload.source,
        created_by=None if caller.kind == PrincipalKind.bot else caller.id,
        conversation_id=payload.conversation_id,
        language=payload.language,
        receipt=ConsentReceipt(
            kind=ReceiptKind.grant,
            lawful_basis=triage_input.lawful_basis,
            purposes=[str(p) for p in consent.purposes],
            wording_versions=consent.wording_versions,
            language=consent.language,
            channel=payload.source,
            given_by=given_by,
            given_at=as_utc(consent.given_at),
            conversation_id=payload.conversation_id,
        ),
        referrer=consent.referrer.model_dump(exclude_none=True) if consent.referrer else None,
        person=parts.person,
        answers=parts.answers,
        triage_input=triage_input,
        decision=decision,
    )
    await audit.record(
        session,
        caller,
        "referral.create",
        referral.id,
        f"source={payload.source} outcome={referral.outcome} queue={referral.queue or '-'}",
    )
    read = referral_service.to_read(referral)
    phone = parts.person.get("phone")
    if isinstance(phone, str) and phone:
        phone_source = contact_checks.source_of_phone(vault, payload.source, payload.conversation_id, phone)
        read.phone_verified = phone_source in contact_checks.VERIFIED
    return read


async def store(
    session: AsyncSession,
    vault: Vault,
    *,
    source: str,
    created_by: uuid.UUID | None,
    conversation_id: str | None,
    language: str,
    receipt: ConsentReceipt,
    referrer: dict[str, Any] | None,
    person: dict[str, Any],
    answers: dict[str, Any],
    triage_input: TriageInput,
    decision: TriageDecision,
    external_ref: str | None = None,
) -> Referral:
    """Store one referral with its consent receipt and queue entries; flushes, the caller commits (the one
    transaction of DESIGN §3). Every source (the bot, agencies, the police feed) stores through it."""
    referral_id = uuid.uuid4()
    # The receipt is append-only: its personal field is sealed with the case's own key, so destroying that
    # key erases it (api/encryption/case_keys.py).
    receipt.id = receipt.id or uuid.uuid4()
    case_key = await case_keys.create(session, vault, referral_id, receipt.id)
    if referrer is not None:
        receipt.referrer_sealed = case_keys.seal_json(case_key, referrer, referrer_aad(referral_id))
    receipt = await consent_service.add_receipt(session, receipt)
    referral = await referral_service.add(
        session,
        vault,
        referral_id=referral_id,
        consent_receipt_id=receipt.id,
        source=source,
        created_by=created_by,
        conversation_id=conversation_id,
        language=language,
        # Where each contact detail came from, and whether it is verified (api/intake/contact_checks.py).
        person=contact_checks.with_provenance(vault, person, source, conversation_id, utcnow()),
        answers=answers,
        triage_input=triage_input,
        decision=decision,
        external_ref=external_ref,
    )
    if decision.outcome == Outcome.REFERRED and decision.queue is not None:
        await queue_service.enqueue(session, referral, decision.queue, secondary=False)
        if decision.secondary_queue is not None and decision.secondary_queue != decision.queue:
            await queue_service.enqueue(session, referral, decision.secondary_queue, secondary=True)
    # Its disposal rule from the moment it is kept (api/retention/policy.py), and the anonymous counter.
    referral.retention_class = retention_policy.at_receipt(referral.outcome, referral.queue)
    referral.retention_from = referral.received_at
    await stats.count(
        session,
        stats.Event.made,
        referral,
        referral.received_at,
        triage_input=triage_input.model_dump(mode="json"),
    )
    return referral


async def get_for(session: AsyncSession, caller: Caller, reference: str) -> Referral:
    referral = await referral_service.by_reference(session, reference)
    if referral is None:
        raise ReferralNotFound()
    if caller.kind == PrincipalKind.admin:
        return referral
    if caller.kind == PrincipalKind.agency and referral.created_by == caller.id:
        return referral
    # After consent is withdrawn the providers' share of the case ends: they no longer see it.
    if (
        caller.kind == PrincipalKind.provider
        and referral.withdrawn_at is None
        and await queue_service.visible_to(session, referral.id, caller.queues)
    ):
        return referral
    # Not allowed looks exactly like not there: ids of other providers' cases reveal nothing.
    raise ReferralNotFound()


async def read_for(
    session: AsyncSession,
    vault: Vault,
    caller: Caller,
    reference: str,
    grace: timedelta = timedelta(hours=24),
    now: datetime | None = None,
) -> ReferralDetail:
    """The case as `caller` may see it. Every read is audited, in the request's transaction.

    A provider sees the details while one of its entries is open, and for `grace` after it returned or
    closed its last one; the referring agency until the person withdraws. After that, the status only."""
    referral = await get_for(session, caller, reference)
    withheld = await detail_withheld(session, caller, referral, now or utcnow(), grace)
    if withheld is not None:
        await audit.record(
            session, caller, "referral.read", referral.id, f"lookup=reference status_only={withheld}"
        )
        return ReferralDetail(
            **referral_service.to_read(referral).model_dump(),
            source=referral.source,
            language=referral.language,
            person=None,
            answers=None,
            detail_withheld=withheld,
        )
    await audit.record(session, caller, "referral.read", referral.id, "lookup=reference")
    return referral_service.detail(vault, referral)


OPEN_ENTRY = frozenset({EntryStatus.queued, EntryStatus.claimed, EntryStatus.accepted})


async def detail_withheld(
    session: AsyncSession, caller: Caller, referral: Referral, now: datetime, grace: timedelta
) -> DetailWithheld | None:
    """Why `caller`, who may see the case, no longer sees its details; None when it does."""
    if caller.kind == PrincipalKind.agency and referral.withdrawn_at is not None:
        return DetailWithheld.withdrawn
    if caller.kind != PrincipalKind.provider:
        return None
    entries = await queue_service.entries_in(session, referral.id, caller.queues)
    if not entries or any(status in OPEN_ENTRY for status, _ in entries):
        return None
    status, changed = max(entries, key=lambda entry: entry[1])
    if now - changed <= grace:
        return None
    return DetailWithheld.closed if status == EntryStatus.closed else DetailWithheld.returned


URGENT_PRIORITY = Priority.EMERGENCY


async def mark_urgent(
    session: AsyncSession, caller: Caller, reference: str, body: UrgentCreate, now: datetime | None = None
) -> ReferralRead:
    """Make a case urgent after hand-off (the person said they are in danger now): priority `emergency`,
    the contact deadline brought forward to the same working day (never later than it was), and every open
    queue entry moved up with it, so it sorts first. Idempotent: an urgent case is answered unchanged and
    nothing more is audited. The bot may only mark a case made in the conversation it names; a case the
    caller may not mark is a 404 like a missing one."""
    referral = await referral_service.by_reference(session, reference, lock=True)
    if referral is None:
        raise ReferralNotFound()
    if caller.kind == PrincipalKind.bot and (
        body.conversation_id is None or referral.conversation_id != body.conversation_id
    ):
        raise ReferralNotFound()
    if referral.priority == URGENT_PRIORITY:
        return referral_service.to_read(referral)
    now = now or utcnow()
    deadline = contact_deadline(now, DeadlineKind.SAME_WORKING_DAY)
    if referral.deadline is not None and referral.deadline < deadline:
        deadline = referral.deadline
    was = referral.priority
    referral.priority = URGENT_PRIORITY
    referral.emergency = True
    if referral.outcome == Outcome.REFERRED:
        referral.deadline = as_utc(deadline)
    # The sealed decision stays as triage made it; referral_service.decision_of lays these columns over it.
    moved = await queue_service.make_urgent(
        session, referral.id, PRIORITY_RANK[URGENT_PRIORITY], referral.deadline
    )
    await session.flush()
    await audit.record(
        session, caller, "referral.urgent", referral.id, f"reason={body.reason} was={was} entries={moved}"
    )
    return referral_service.to_read(referral)


CALLBACK_PURPOSE = "contact_phone"


async def request_callback(
    session: AsyncSession,
    settings: Settings,
    caller: Caller,
    reference: str,
    body: CallbackCreate,
    now: datetime | None = None,
) -> ReferralRead:
    """Record the call-back time the person chose after hand-off, while the service is open: the window
    is kept on the case, the contact deadline is brought forward to the window's end (never later than it
    was), and every open queue entry with it, so the caseworker sees it in time. Asking again replaces the
    window. Refused (409) when the window is not on offer now (closed, or passed) or the person did not
    agree to phone calls; a case the caller may not see is a 404 like a missing one."""
    referral = await referral_service.by_reference(session, reference, lock=True)
    if referral is None or referral.outcome != Outcome.REFERRED or referral.withdrawn_at is not None:
        raise ReferralNotFound()
    if caller.kind == PrincipalKind.bot and (
        body.conversation_id is None or referral.conversation_id != body.conversation_id
    ):
        raise ReferralNotFound()
    window = hours_service.window_by_id(settings, body.window, now)
    receipt = await consent_service.receipt(session, referral.consent_receipt_id)
    if window is None or receipt is None or CALLBACK_PURPOSE not in (receipt.purposes or []):
        raise CallbackUnavailable()
    referral.callback_from = as_utc(window.starts_at)
    referral.callback_until = as_utc(window.ends_at)
    moved = await queue_service.bring_forward(session, referral.id, referral.callback_until)
    await session.flush()
    await audit.record(
        session, caller, "referral.callback", referral.id, f"window={window.id} entries={moved}"
    )
    return referral_service.to_read(referral)


# ---- consent withdrawal ----


async def cancel_pending_outbound_messages(session: AsyncSession, referral: Referral) -> int:
    """Cascade step: stop every message still waiting to be sent to the person about this referral.

    The SMS outbox's messages not yet handed to Twilio, for the referral's conversation and for its phone
    number (by blind index), are cancelled in the withdrawal's transaction.
    """
    return await sms_outbox.cancel_pending(session, referral.conversation_id, referral.phone_index)


async def withdraw(
    session: AsyncSession, caller: Caller, grant_id: uuid.UUID, body: WithdrawalCreate
) -> consent_service.Withdrawal:
    grant = await consent_service.receipt(session, grant_id, lock=True)
    if grant is None:
        raise ConsentNotFound()
    referrals = await referral_service.by_consent_receipt(session, consent_service.grant_id_of(grant))
    if not consent_service.may_withdraw(caller, grant, referrals, body.conversation_id):
        raise ConsentNotFound()
    if grant.kind == consent_service.WITHDRAWAL:
        raise ConsentNotWithdrawable()
    reason = f"{body.reason};requested_by={body.requested_by}"

    earlier = await consent_service.withdrawal_of(session, grant.id)
    if earlier is not None:
        await consent_service.audit_receipt(session, caller, "consent.withdraw_repeated", referrals, reason)
        return consent_service.Withdrawal(earlier, created=False)

    now = utcnow()
    withdrawal = await consent_service.add_receipt(
        session, consent_service.withdrawal_for(caller, grant, str(body.requested_by), now)
    )
    entries = cancelled = 0
    for referral in referrals:
        referral_service.withdraw(referral, now)
        referral.retention_class = retention_policy.RetentionClass.withdrawn
        referral.retention_from = now
        await stats.count(session, stats.Event.withdrawn, referral, now, outcome="withdrawn")
        entries += await queue_service.withdraw_open_entries(session, referral.id)
        cancelled += await cancel_pending_outbound_messages(session, referral)
    await consent_service.audit_receipt(session, caller, "consent.withdraw", referrals, reason)
    await session.flush()
    logger.info(
        "consent withdrawn",
        extra={
            "receipt_id": str(withdrawal.id),
            "referrals": len(referrals),
            "queue_entries_withdrawn": entries,
            "messages_cancelled": cancelled,
        },
    )
    return consent_service.Withdrawal(withdrawal, created=True)
