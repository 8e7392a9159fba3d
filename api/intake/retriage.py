"""Versioned re-triage: a team lead re-routes a returned case with a changed triage input.

A caseworker returns a case to triage with a reason (wrong service, needs more information, other). In the
team lead's triage inbox the lead changes the answers that reason concerns (`FIELDS_FOR`), and this runs the
triage engine again on the case's newest input with those changes:

- the new decision is kept beside the first as a new version (api/referral: `DecisionVersion`, sealed like
  the first and bound to the case and version); the first decision, sealed on the referral, is never
  overwritten, and neither is any later one;
- the referral's clear routing columns follow the newest decision (queue, secondary queue, tier, flags,
  rules version), except that nothing is made less urgent than it was: a case marked urgent keeps its
  priority, and the contact deadline is never later than the one the person was promised; a
  `consent_to_seek` flag already satisfied at first contact stays satisfied;
- the returned entry is marked transferred and a new entry waits in the new decision's queue (the same
  queue again is allowed: the input changed), pointing back; a new secondary queue gets its own entry;
- the case's retention class follows the new routing while it is not yet taken up;
- audited with ids and codes (how many answers changed; their names are on the version, never their
  values).

A decision that routes to no service queue (signposted, or no consent) is refused: the lead transfers or
the case is closed instead. Services flush; the request's session commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import service as audit
from api.auth import Caller
from api.intake.errors import RetriageNotRoutable, RetriageUnchanged
from api.kit.crypto import Vault
from api.kit.time import as_utc
from api.queue import service as queue_service
from api.queue.errors import CaseNotFound, InvalidTransition
from api.queue.models import EntryStatus, QueueEntry, ReturnReason
from api.referral import service as referral_service
from api.retention import policy as retention_policy
from api.triage import evaluate
from api.triage.queue_order import PRIORITY_RANK
from api.triage.schemas import (
    Flag,
    HateStrand,
    ImmediateDanger,
    IncidentType,
    Outcome,
    Priority,
    Queue,
    Relationship,
    TriageInput,
    Vulnerability,
)


class Kind(StrEnum):
    choice = "choice"
    choices = "choices"  # several of a list
    yes_no = "yes_no"
    number = "number"


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    values: tuple[str, ...] = ()


FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field("incident_type", Kind.choice, tuple(IncidentType)),
        Field("relationship", Kind.choice, tuple(Relationship)),
        Field("hate_strands", Kind.choices, tuple(HateStrand)),
        Field("age_years", Kind.number),
        Field("lives_in_area", Kind.yes_no),
        Field("mediation_requested", Kind.yes_no),
        Field("immediate_danger", Kind.choice, tuple(ImmediateDanger)),
        Field("child_safeguarding_concern", Kind.yes_no),
        Field("repeat_targeting", Kind.yes_no),
        Field("vulnerabilities", Kind.choices, tuple(Vulnerability)),
    )
}
ROUTING = (
    "incident_type",
    "relationship",
    "hate_strands",
    "age_years",
    "lives_in_area",
    "mediation_requested",
)
MORE_INFORMATION = (
    "immediate_danger",
    "child_safeguarding_concern",
    "repeat_targeting",
    "vulnerabilities",
    "age_years",
)
# The answers each return reason concerns (a duplicate is not re-triaged: it is transferred or closed).
FIELDS_FOR: dict[ReturnReason, tuple[str, ...]] = {
    ReturnReason.wrong_service: ROUTING,
    ReturnReason.needs_more_information: MORE_INFORMATION,
    ReturnReason.other: tuple(FIELDS),
    ReturnReason.duplicate: (),
}


def fields_for(stored_reason: str | None) -> list[Field]:
    reason, _ = queue_service.decode_return(stored_reason)
    names = FIELDS_FOR.get(reason, ()) if reason is not None else ()
    return [FIELDS[name] for name in FIELDS if name in names]


def parse(fields: list[Field], form: dict[str, str]) -> dict[str, Any]:
    """The answers as the form sends them (every field of `fields`): ValueError names a bad one."""
    values: dict[str, Any] = {}
    for field in fields:
        raw = form.get(field.name, "").strip()
        if field.kind == Kind.choice:
            if raw not in field.values:
                raise ValueError(field.name)
            values[field.name] = raw
        elif field.kind == Kind.choices:
            values[field.name] = [v for v in field.values if form.get(f"{field.name}.{v}") == "yes"]
        elif field.kind == Kind.yes_no:
            if raw not in ("yes", "no"):
                raise ValueError(field.name)
            values[field.name] = raw == "yes"
        else:
            values[field.name] = None if raw == "" else int(raw)
    return values


async def retriage(
    session: AsyncSession,
    vault: Vault,
    caller: Caller,
    entry_id: uuid.UUID,
    answers: dict[str, Any],
    now: datetime,
) -> QueueEntry:
    """Re-triage the returned case of `entry_id` (in the caller's queues) with `answers` changed; returns
    the new queue entry. See the module's doc."""
    found = await queue_service.entry_in(session, entry_id, caller.queues)
    if found is None:
        raise CaseNotFound()
    entry, referral = found
    if EntryStatus(entry.status) != EntryStatus.returned:
        raise InvalidTransition(status=EntryStatus(entry.status))
    allowed = {f.name for f in fields_for(entry.return_reason)}
    if not allowed or not set(answers) <= allowed:
        raise InvalidTransition(status=EntryStatus.returned)
    reason, _ = queue_service.decode_return(entry.return_reason)
    versions = await referral_service.decisions(session, vault, referral)
    current = referral_service.current_triage_input(vault, referral, versions)
    try:
        new_input = TriageInput.model_validate({**current, **answers})
    except ValidationError as exc:
        raise ValueError("triage input") from exc
    dumped = new_input.model_dump(mode="json")
    changed = [name for name in FIELDS if name in answers and dumped[name] != current.get(name)]
    if not changed:
        raise RetriageUnchanged()
    decision = evaluate(new_input)
    if decision.outcome != Outcome.REFERRED or decision.queue is None:
        raise RetriageNotRoutable()

    version = versions[-1].version + 1
    await referral_service.add_decision(
        session,
        vault,
        referral,
        version=version,
        entry_id=entry.id,
        decided_by=caller.id,
        decided_at=now,
        reason=str(reason),
        changed=changed,
        triage_input=new_input,
        decision=decision,
    )
    # Never less urgent than it was: an urgent mark stays, the promised deadline is never pushed back.
    priority = Priority.EMERGENCY if referral.priority == Priority.EMERGENCY else decision.priority
    deadline = as_utc(decision.deadline) if decision.deadline else None
    if referral.deadline is not None and (deadline is None or referral.deadline < deadline):
        deadline = referral.deadline
    flags = [str(f) for f in decision.flags]
    if Flag.CONSENT_TO_SEEK.value not in (referral.flags or []):
        flags = [f for f in flags if f != Flag.CONSENT_TO_SEEK.value]  # satisfied at first contact
    was = referral.queue
    referral.queue = decision.queue
    referral.secondary_queue = decision.secondary_queue
    referral.tier = decision.tier
    referral.priority = priority
    referral.emergency = referral.emergency or decision.emergency
    referral.deadline = deadline
    referral.flags = flags
    referral.rules_version = decision.rules_version
    if referral.retention_class in (
        retention_policy.RetentionClass.not_taken_up,
        retention_policy.RetentionClass.signposting,
    ):
        referral.retention_class = retention_policy.at_receipt(referral.outcome, referral.queue)
    moved = await queue_service.reroute_retriaged(
        session,
        caller,
        Queue(entry.queue),
        entry.id,
        decision.queue,
        priority_rank=PRIORITY_RANK[priority],
        deadline=deadline,
        detail=f"version={version}",
    )
    secondary = decision.secondary_queue
    if (
        secondary is not None
        and secondary != decision.queue
        and not await queue_service.open_entry_exists(session, referral.id, secondary)
    ):
        await queue_service.enqueue(session, referral, secondary, secondary=True)
    await session.flush()
    await audit.record(
        session,
        caller,
        "triage.retriage",
        referral.id,
        # Codes only, within the audit's 200 characters: which answers changed is on the decision version.
        f"version={version} from={was} to={decision.queue} reason={reason} changed={len(changed)} "
        f"rules={decision.rules_version}",
    )
    return moved
