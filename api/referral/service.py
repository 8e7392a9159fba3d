"""Creating a referral: consent receipt, triage, the referral and its queue entries, in one transaction.

The caller's session commits; this module only flushes.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import service as audit
from api.auth import Caller
from api.config import Settings
from api.consent import repository as consent_repository
from api.consent.giver import NoValidConsent, consent_basis
from api.consent.models import ConsentReceipt
from api.flow.journeys import journeys
from api.hours import service as hours_service
from api.kit.crypto import Vault
from api.kit.models import utcnow
from api.kit.time import as_london, as_utc
from api.principal.models import PrincipalKind
from api.queue import repository as queue_repository
from api.queue.models import PRIORITY_RANK
from api.referral import repository
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
    SAFEGUARDING_ROLES,
    AgencyBasis,
    CallbackCreate,
    GivenBy,
    Purpose,
    ReferralCreate,
    ReferralDetail,
    ReferralRead,
    UrgentCreate,
)
from api.triage import TriageDecision, TriageInput, evaluate
from api.triage.deadlines import DeadlineKind, contact_deadline
from flowkit.answers import answer_problems
from flowkit.logic import contact_details, triage_data

# No 0/O, 1/I/L, U: readable aloud and over a bad phone line.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
SHARING_PURPOSES = {Purpose.store_and_process, Purpose.share_with_provider}


def new_reference() -> str:
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"SR-{chars[:4]}-{chars[4:]}"


def person_aad(referral_id: uuid.UUID) -> str:
    return f"referral:{referral_id}:person"


def answers_aad(referral_id: uuid.UUID) -> str:
    return f"referral:{referral_id}:answers"


def referrer_aad(referral_id: uuid.UUID) -> str:
    """The consent receipt's referrer is bound to the referral it came with."""
    return f"consent:{referral_id}:referrer"


@dataclass(frozen=True)
class Parts:
    """What a referral keeps, before triage: its answers, the person's contact details, the triage fields."""

    answers: dict[str, Any]
    person: dict[str, Any]
    triage: dict[str, Any]


def agency_parts(payload: ReferralCreate, today: date, allow_fictional_phones: bool) -> Parts:
    """An agency's referral through its flow: the answers are checked against the flow's agency variant
    (types, choices, limits, branching, required questions) and the triage input and the person's contact
    details are built from them, as the bot builds its own. Raises InvalidAnswers naming every fault."""
    problems: list[tuple[str, str]] = []
    if payload.triage is not None:
        problems.append(("triage", "an agency referral's triage input is built from its flow's answers"))
    flow = journeys().get(payload.flow) if payload.flow else None
    if flow is None:
        problems.append(("flow", "must name a journey: " + ", ".join(sorted(journeys()))))
        raise InvalidAnswers(problems)
    variant = flow.for_agency()
    checked, faults = answer_problems(variant, payload.answers, allow_fictional_phones, today)
    problems.extend((f"answers.{f.question}", f.problem) for f in faults)
    person = payload.person.model_dump(exclude_none=True)
    for question in variant.questions:
        if question.person is not None and str(question.person) in person:
            problems.append((f"person.{question.person}", f"is the answer to question {question.id}"))
    if problems:
        raise InvalidAnswers(problems)
    person.update(contact_details(variant, checked))
    answers = {q.id: checked[q.id] for q in variant.questions if q.id in checked and q.store}
    return Parts(answers, person, triage_data(variant, checked, today))


def _triage_input(
    data: dict[str, Any], caller: Caller, received_at: datetime, *, lawful_basis: str, consent: str | None
) -> TriageInput:
    """The triage input as the server sees it: the lawful basis and consent from the receipt, the role from
    the caller, the time now."""
    data = {**data, "received_at": received_at, "lawful_basis": lawful_basis}
    if consent is not None:
        data["consent"] = consent
    if caller.kind == PrincipalKind.agency:
        data["reporter_role"] = "third_party"
    return TriageInput.model_validate(data)


def to_read(referral: Referral) -> ReferralRead:
    decision = referral.decision
    return ReferralRead(
        reference=referral.reference,
        outcome=referral.outcome,
        queue=referral.queue,
        secondary_queue=decision.get("secondary_queue"),
        tier=referral.tier,
        priority=referral.priority,
        emergency=referral.emergency,
        deadline=datetime.fromisoformat(decision["deadline"]) if decision.get("deadline") else None,
        flags=list(decision.get("flags", [])),
        rules_version=referral.rules_version,
        received_at=as_utc(referral.received_at),
        consent_receipt_id=str(referral.consent_receipt_id),
        callback_from=as_utc(referral.callback_from) if referral.callback_from else None,
        callback_until=as_utc(referral.callback_until) if referral.callback_until else None,
    )


def _unstored(decision: TriageDecision, received_at: datetime, outcome: str | None = None) -> ReferralRead:
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
        parts = agency_parts(payload, as_london(received_at).date(), allow_fictional_phones)
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
        if consent.referrer is None or consent.referrer.role not in SAFEGUARDING_ROLES:
            raise SafeguardingRoleRequired()
        triage_input = _triage_input(
            parts.triage, caller, received_at, lawful_basis=basis, consent="not_asked"
        )
        decision = evaluate(triage_input)
        given_by = consent.given_by
    else:
        given = SHARING_PURPOSES <= set(consent.purposes)
        consent_value = ("given" if given else "refused") if basis == "consent" else None
        triage_input = _triage_input(
            parts.triage, caller, received_at, lawful_basis=basis, consent=consent_value
        )
        decision = evaluate(triage_input)
        if decision.outcome == "rejected_no_consent":
            raise ConsentRequired()
        if Purpose.store_and_process not in consent.purposes:
            # Nothing may be kept without consent to store it: answer with the decision, keep nothing.
            return _unstored(decision, received_at)
        concern = "safeguarding" in decision.flags or triage_input.child_safeguarding_concern
        try:
            who = consent_basis(triage_input.age_years, consent.given_by, concern)
        except NoValidConsent as exc:
            if exc.invalid:
                raise ConsentGiverInvalid() from exc
            # A child under 13 alone, with no safeguarding concern: a parent or carer must consent.
            return _unstored(decision, received_at, outcome="signposted")
        given_by = who.given_by
        if who.lawful_basis != basis:
            # Under 13 with a safeguarding concern: the safeguarding basis, consent sought at first contact.
            triage_input = _triage_input(
                parts.triage, caller, received_at, lawful_basis=who.lawful_basis, consent="not_asked"
            )
            decision = evaluate(triage_input)
    known = await consent_repository.known_versions(session, consent.wording_versions)
    if known != set(consent.wording_versions):
        raise UnknownConsentWording()

    referral = await store(
        session,
        vault,
        source=payload.source,
        created_by=None if caller.kind == PrincipalKind.bot else caller.id,
        conversation_id=payload.conversation_id,
        language=payload.language,
        receipt=ConsentReceipt(
            kind="grant",
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
    return to_read(referral)


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
    """Seal and store one referral with its consent receipt and queue entries; flushes, the caller commits.

    The one place where personal fields are sealed and the phone blind index is made: every source (the
    bot, agencies, the police feed) stores through it. `received_at` is the triage input's.
    """
    referral_id = uuid.uuid4()
    if referrer is not None:
        receipt.referrer_sealed = vault.cipher.seal_json(referrer, referrer_aad(referral_id))
    receipt = await consent_repository.add_receipt(session, receipt)
    reference = new_reference()
    while await repository.reference_exists(session, reference):
        reference = new_reference()
    dumped: dict[str, Any] = decision.model_dump(mode="json")
    referral = await repository.add(
        session,
        Referral(
            id=referral_id,
            reference=reference,
            source=source,
            created_by=created_by,
            conversation_id=conversation_id,
            language=language,
            consent_receipt_id=receipt.id,
            person_sealed=vault.cipher.seal_json(person, person_aad(referral_id)),
            answers_sealed=vault.cipher.seal_json(answers, answers_aad(referral_id)),
            phone_index=vault.index.of("phone", person["phone"]) if person.get("phone") else None,
            external_ref=external_ref,
            triage_input=triage_input.model_dump(mode="json"),
            decision=dumped,
            rules_version=decision.rules_version,
            outcome=dumped["outcome"],
            queue=dumped["queue"],
            tier=dumped["tier"],
            priority=dumped["priority"],
            emergency=decision.emergency,
            deadline=as_utc(decision.deadline) if decision.deadline else None,
            received_at=as_utc(triage_input.received_at),
        ),
    )
    if decision.outcome == "referred" and decision.queue is not None:
        await queue_repository.enqueue(session, referral, str(decision.queue), secondary=False)
        if decision.secondary_queue is not None and decision.secondary_queue != decision.queue:
            await queue_repository.enqueue(session, referral, str(decision.secondary_queue), secondary=True)
    return referral


def detail(vault: Vault, referral: Referral) -> ReferralDetail:
    return ReferralDetail(
        **to_read(referral).model_dump(),
        source=referral.source,
        language=referral.language,
        person=vault.cipher.open_json(referral.person_sealed, person_aad(referral.id)),
        answers=vault.cipher.open_json(referral.answers_sealed, answers_aad(referral.id)),
    )


async def get_for(session: AsyncSession, caller: Caller, reference: str) -> Referral:
    referral = await repository.by_reference(session, reference)
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
        and await queue_repository.visible_to(session, referral.id, caller.queues)
    ):
        return referral
    # Not allowed looks exactly like not there: ids of other providers' cases reveal nothing.
    raise ReferralNotFound()


async def read_for(session: AsyncSession, vault: Vault, caller: Caller, reference: str) -> ReferralDetail:
    """The case as `caller` may see it. Every read is audited, in the request's transaction."""
    referral = await get_for(session, caller, reference)
    await audit.record(session, caller, "referral.read", referral.id, "lookup=reference")
    return detail(vault, referral)


async def record_replay(session: AsyncSession, caller: Caller, response_body: bytes) -> None:
    """A replayed creation shows the case's reference and decision again: audited as a read of it."""
    reference = json.loads(response_body).get("reference")
    referral = await repository.by_reference(session, reference) if isinstance(reference, str) else None
    if referral is not None:
        await audit.record(session, caller, "referral.replay", referral.id, "idempotency_key")


URGENT_PRIORITY = "emergency"


async def mark_urgent(
    session: AsyncSession, caller: Caller, reference: str, body: UrgentCreate, now: datetime | None = None
) -> ReferralRead:
    """Make a case urgent after hand-off (the person said they are in danger now): priority `emergency`,
    the contact deadline brought forward to the same working day (never later than it was), and every open
    queue entry moved up with it, so it sorts first. Idempotent: an urgent case is answered unchanged and
    nothing more is audited. The bot may only mark a case made in the conversation it names; a case the
    caller may not mark is a 404 like a missing one."""
    referral = await repository.by_reference(session, reference, lock=True)
    if referral is None:
        raise ReferralNotFound()
    if caller.kind == PrincipalKind.bot and (
        body.conversation_id is None or referral.conversation_id != body.conversation_id
    ):
        raise ReferralNotFound()
    if referral.priority == URGENT_PRIORITY:
        return to_read(referral)
    now = now or utcnow()
    deadline = contact_deadline(now, DeadlineKind.SAME_WORKING_DAY)
    if referral.deadline is not None and as_utc(referral.deadline) < deadline:
        deadline = as_utc(referral.deadline)
    was = referral.priority
    referral.priority = URGENT_PRIORITY
    referral.emergency = True
    if referral.outcome == "referred":
        referral.deadline = as_utc(deadline)
        referral.decision = {
            **referral.decision,
            "priority": URGENT_PRIORITY,
            "emergency": True,
            "deadline": deadline.isoformat(),
        }
    else:
        referral.decision = {**referral.decision, "priority": URGENT_PRIORITY, "emergency": True}
    moved = await queue_repository.make_urgent(
        session, referral.id, PRIORITY_RANK[URGENT_PRIORITY], referral.deadline
    )
    await session.flush()
    await audit.record(
        session, caller, "referral.urgent", referral.id, f"reason={body.reason} was={was} entries={moved}"
    )
    return to_read(referral)


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
    referral = await repository.by_reference(session, reference, lock=True)
    if referral is None or referral.outcome != "referred" or referral.withdrawn_at is not None:
        raise ReferralNotFound()
    if caller.kind == PrincipalKind.bot and (
        body.conversation_id is None or referral.conversation_id != body.conversation_id
    ):
        raise ReferralNotFound()
    window = hours_service.window_by_id(settings, body.window, now)
    receipt = await consent_repository.receipt(session, referral.consent_receipt_id)
    if window is None or receipt is None or CALLBACK_PURPOSE not in (receipt.purposes or []):
        raise CallbackUnavailable()
    referral.callback_from = as_utc(window.starts_at)
    referral.callback_until = as_utc(window.ends_at)
    moved = await queue_repository.bring_forward(session, referral.id, referral.callback_until)
    await session.flush()
    await audit.record(
        session, caller, "referral.callback", referral.id, f"window={window.id} entries={moved}"
    )
    return to_read(referral)
