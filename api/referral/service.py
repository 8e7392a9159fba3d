"""Referrals: their sealed fields, references, reading them back, and what an agency's answers make.

Creating one (with its consent receipt, triage and queue entries, in one transaction) is api/intake's.
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
from api.flow.journeys import journeys
from api.kit.crypto import DecryptionError, Vault
from api.kit.time import as_utc
from api.referral import repository
from api.referral.errors import (
    InvalidAnswers,
)
from api.referral.models import DecisionVersion, Referral
from api.referral.schemas import (
    ReferralCreate,
    ReferralDetail,
    ReferralRead,
)
from api.triage import TriageDecision, TriageInput
from api.triage.deadlines import LONDON
from api.triage.schemas import Outcome
from flowkit.answers import answer_problems
from flowkit.logic import contact_details, triage_data

# No 0/O, 1/I/L, U: readable aloud and over a bad phone line.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
# How many of a number's newest referrals are consulted for its safe-contact answer.
REFERRALS_CONSULTED = 20


def new_reference() -> str:
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"SR-{chars[:4]}-{chars[4:]}"


def person_aad(referral_id: uuid.UUID) -> str:
    return f"referral:{referral_id}:person"


def answers_aad(referral_id: uuid.UUID) -> str:
    return f"referral:{referral_id}:answers"


def triage_input_aad(referral_id: uuid.UUID) -> str:
    return f"referral:{referral_id}:triage_input"


def decision_aad(referral_id: uuid.UUID) -> str:
    return f"referral:{referral_id}:decision"


def external_ref_aad(referral_id: uuid.UUID) -> str:
    return f"referral:{referral_id}:external_ref"


EXTERNAL_REF_PURPOSE = "crime_reference"


def normalised_external_ref(external_ref: str) -> str:
    """A crime reference as it is compared: trimmed, upper case (forces write them either way)."""
    return external_ref.strip().upper()


def external_ref_index(vault: Vault, external_ref: str) -> str:
    """The blind index a crime reference is found by (duplicate detection of the police feed, subject
    rights): equal references give equal indexes, and nothing reverses it."""
    return vault.index.of(EXTERNAL_REF_PURPOSE, normalised_external_ref(external_ref))


def referrer_aad(referral_id: uuid.UUID) -> str:
    """The consent receipt's referrer is bound to the referral it came with."""
    return f"consent:{referral_id}:referrer"


def email_index(vault: Vault, email: Any) -> str | None:
    """The blind index of an e-mail address (trimmed, lower-cased), or None when there is none."""
    if not isinstance(email, str) or not email.strip():
        return None
    return vault.index.of("email", email.strip().lower())


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


def to_read(referral: Referral) -> ReferralRead:
    """The decision as callers see it, from the clear routing columns alone (no personal data opened)."""
    return ReferralRead(
        reference=referral.reference,
        outcome=referral.outcome,
        queue=referral.queue,
        secondary_queue=referral.secondary_queue,
        tier=referral.tier,
        priority=referral.priority,
        emergency=referral.emergency,
        deadline=referral.deadline,  # the column (kept with the decision), not the JSON
        flags=list(referral.flags or []),
        rules_version=referral.rules_version,
        received_at=referral.received_at,
        consent_receipt_id=str(referral.consent_receipt_id),
        callback_from=referral.callback_from,
        callback_until=referral.callback_until,
    )


# Kept inside the sealed person (api/intake/contact_checks.py), shown beside it.
PROVENANCE = "contact_provenance"


def detail(vault: Vault, referral: Referral) -> ReferralDetail:
    person = vault.cipher.open_json(referral.person_sealed, person_aad(referral.id))
    provenance = person.pop(PROVENANCE, None) if isinstance(person, dict) else None
    return ReferralDetail(
        **to_read(referral).model_dump(),
        source=referral.source,
        language=referral.language,
        person=person,
        contact_provenance=provenance if isinstance(provenance, dict) else None,
        answers=vault.cipher.open_json(referral.answers_sealed, answers_aad(referral.id)),
    )


def person_of(vault: Vault, referral: Referral) -> dict[str, Any]:
    """The person's contact details, opened ({} when none). Raises DecryptionError like `detail`."""
    person = vault.cipher.open_json(referral.person_sealed, person_aad(referral.id))
    return person if isinstance(person, dict) else {}


def replace_person(vault: Vault, referral: Referral, person: dict[str, Any]) -> None:
    """Re-seal the person's contact details (the same number: its blind index stays)."""
    referral.person_sealed = vault.cipher.seal_json(person, person_aad(referral.id))


def triage_input_of(vault: Vault, referral: Referral) -> dict[str, Any]:
    """The triage input as it was stored (TriageInput as JSON). Raises DecryptionError when it cannot be
    opened (a key missing from the ring, or an altered value)."""
    value: dict[str, Any] = vault.cipher.open_json(
        referral.triage_input_sealed, triage_input_aad(referral.id)
    )
    return value


def decision_of(vault: Vault, referral: Referral) -> dict[str, Any]:
    """The triage decision (TriageDecision as JSON), with what changed since triage made it: a case marked
    urgent after hand-off carries its new priority, emergency and deadline (kept in the clear columns)."""
    value: dict[str, Any] = vault.cipher.open_json(referral.decision_sealed, decision_aad(referral.id))
    value["priority"] = str(referral.priority)
    value["emergency"] = referral.emergency
    if referral.outcome == Outcome.REFERRED:
        value["deadline"] = referral.deadline.astimezone(LONDON).isoformat() if referral.deadline else None
    return value


def external_ref_of(vault: Vault, referral: Referral) -> str | None:
    """The source's own reference (the police crime reference), opened; None when the case has none."""
    if referral.external_ref_sealed is None:
        return None
    return vault.cipher.open(referral.external_ref_sealed, external_ref_aad(referral.id).encode()).decode()


async def by_external_ref(session: AsyncSession, vault: Vault, external_ref: str) -> Referral | None:
    """The case imported under this crime reference (found by its blind index), or None."""
    return await repository.by_external_ref_index(session, external_ref_index(vault, external_ref))


async def record_replay(session: AsyncSession, caller: Caller, response_body: bytes) -> None:
    """A replayed creation shows the case's reference and decision again: audited as a read of it."""
    reference = json.loads(response_body).get("reference")
    referral = await repository.by_reference(session, reference) if isinstance(reference, str) else None
    if referral is not None:
        await audit.record(session, caller, "referral.replay", referral.id, "idempotency_key")


async def add(
    session: AsyncSession,
    vault: Vault,
    *,
    referral_id: uuid.UUID,
    consent_receipt_id: uuid.UUID,
    source: str,
    created_by: uuid.UUID | None,
    conversation_id: str | None,
    language: str,
    person: dict[str, Any],
    answers: dict[str, Any],
    triage_input: TriageInput,
    decision: TriageDecision,
    external_ref: str | None = None,
) -> Referral:
    """Seal and store one referral under a new reference; flushes, the caller commits.

    The one place where personal fields are sealed and the phone blind index is made: every source (the
    bot, agencies, the police feed) stores through it (api/intake). `received_at` is the triage input's.
    The triage input and the decision are sealed whole; the routing fields are copied to clear columns.
    """
    reference = new_reference()
    while await repository.reference_exists(session, reference):
        reference = new_reference()
    dumped: dict[str, Any] = decision.model_dump(mode="json")
    return await repository.add(
        session,
        Referral(
            id=referral_id,
            reference=reference,
            source=source,
            created_by=created_by,
            conversation_id=conversation_id,
            language=language,
            consent_receipt_id=consent_receipt_id,
            person_sealed=vault.cipher.seal_json(person, person_aad(referral_id)),
            answers_sealed=vault.cipher.seal_json(answers, answers_aad(referral_id)),
            phone_index=vault.index.of("phone", person["phone"]) if person.get("phone") else None,
            email_index=email_index(vault, person.get("email")),
            triage_input_sealed=vault.cipher.seal_json(
                triage_input.model_dump(mode="json"), triage_input_aad(referral_id)
            ),
            decision_sealed=vault.cipher.seal_json(dumped, decision_aad(referral_id)),
            external_ref_index=external_ref_index(vault, external_ref) if external_ref else None,
            external_ref_sealed=(
                vault.cipher.seal(external_ref.encode(), external_ref_aad(referral_id).encode())
                if external_ref
                else None
            ),
            secondary_queue=dumped["secondary_queue"],
            flags=list(dumped["flags"]),
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


async def by_reference(session: AsyncSession, reference: str, *, lock: bool = False) -> Referral | None:
    return await repository.by_reference(session, reference, lock=lock)


async def by_consent_receipt(session: AsyncSession, receipt_id: uuid.UUID) -> list[Referral]:
    """The referrals a consent receipt (a grant) stands behind."""
    return await repository.by_consent_receipt(session, receipt_id)


async def external_ref_exists(session: AsyncSession, vault: Vault, external_ref: str) -> bool:
    return await repository.external_ref_exists(session, external_ref_index(vault, external_ref))


async def sms_safe(session: AsyncSession, vault: Vault, phone_index: str) -> bool | None:
    """The answer to "is it safe to text you?" in the newest referral of this number (found by the phone
    blind index) that answered it, or None when none did."""
    for referral in await repository.newest_by_phone(session, phone_index, REFERRALS_CONSULTED):
        try:
            person = vault.cipher.open_json(referral.person_sealed, person_aad(referral.id))
        except DecryptionError:
            continue
        if isinstance(person, dict) and isinstance(person.get("sms_safe"), bool):
            return bool(person["sms_safe"])
    return None


def withdraw(referral: Referral, now: datetime) -> None:
    """Consent behind the referral was withdrawn: the providers' share of the case ends."""
    referral.withdrawn_at = now


# ---- later triage decisions (a returned case re-triaged: api/intake/retriage.py) ----


def version_aad(referral_id: uuid.UUID, version: int, part: str) -> str:
    """A later decision's sealed parts are bound to their case and version (one cannot stand for another)."""
    return f"referral:{referral_id}:v{version}:{part}"


@dataclass(frozen=True)
class ShownDecision:
    """One decision of a case as the console shows it: version 1 is the first, as triage made it."""

    version: int
    decided_at: datetime
    decided_by: uuid.UUID | None  # None: triage at receipt
    reason: str | None  # the return reason it answered
    changed: list[str]
    queue: str | None
    priority: str
    triage_input: dict[str, Any]
    decision: dict[str, Any]


def current_triage_input(vault: Vault, referral: Referral, versions: list[ShownDecision]) -> dict[str, Any]:
    """The input of the case's newest decision."""
    return versions[-1].triage_input if versions else triage_input_of(vault, referral)


async def decisions(session: AsyncSession, vault: Vault, referral: Referral) -> list[ShownDecision]:
    """Every decision of the case, oldest first: the first (sealed on the referral), then each later one.
    Raises DecryptionError when one cannot be opened."""
    first_decision: dict[str, Any] = vault.cipher.open_json(
        referral.decision_sealed, decision_aad(referral.id)
    )
    shown = [
        ShownDecision(
            1,
            referral.received_at,
            None,
            None,
            [],
            first_decision.get("queue"),
            str(first_decision.get("priority")),
            triage_input_of(vault, referral),
            first_decision,
        )
    ]
    for row in await repository.decision_versions(session, referral.id):
        shown.append(
            ShownDecision(
                row.version,
                row.decided_at,
                row.decided_by,
                row.reason,
                list(row.changed or []),
                str(row.queue) if row.queue else None,
                str(row.priority),
                vault.cipher.open_json(
                    row.triage_input_sealed, version_aad(referral.id, row.version, "input")
                ),
                vault.cipher.open_json(
                    row.decision_sealed, version_aad(referral.id, row.version, "decision")
                ),
            )
        )
    return shown


async def add_decision(
    session: AsyncSession,
    vault: Vault,
    referral: Referral,
    *,
    version: int,
    entry_id: uuid.UUID,
    decided_by: uuid.UUID,
    decided_at: datetime,
    reason: str,
    changed: list[str],
    triage_input: TriageInput,
    decision: TriageDecision,
) -> DecisionVersion:
    """Keep a later decision beside the first (never over it), sealed like the first; flushes."""
    dumped: dict[str, Any] = decision.model_dump(mode="json")
    return await repository.add_decision_version(
        session,
        DecisionVersion(
            referral_id=referral.id,
            version=version,
            entry_id=entry_id,
            decided_by=decided_by,
            decided_at=decided_at,
            reason=reason,
            changed=changed,
            triage_input_sealed=vault.cipher.seal_json(
                triage_input.model_dump(mode="json"), version_aad(referral.id, version, "input")
            ),
            decision_sealed=vault.cipher.seal_json(dumped, version_aad(referral.id, version, "decision")),
            rules_version=decision.rules_version,
            outcome=dumped["outcome"],
            queue=dumped["queue"],
            secondary_queue=dumped["secondary_queue"],
            tier=dumped["tier"],
            priority=dumped["priority"],
        ),
    )
