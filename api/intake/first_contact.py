"""Consent recorded at first contact, for a case held without the person's own consent.

A police-feed case (lawful basis `police_referral`) or a case held on a safeguarding basis carries triage's
`consent_to_seek` flag: the caseworker asks the person at first contact, and records the answer with the
first contact (api/console, action `first-contact`). Both answers span features, so they are composed
here:

- **agreed** (`record_consent`): a new consent receipt of kind `grant`, the same append-only receipt the
  chat and agency paths make: the purposes the person agreed to (keeping and sharing with the service are
  both needed, as everywhere), the exact wording the caseworker read out (registered under its SHA-256, in
  the language it was read in), `channel` `first_contact`, `given_by` who the age rules say consented
  (api/consent/giver.py), and the caseworker who recorded it as the receipt's attesting `referrer` (sealed
  with the case's own key, like an agency worker's). It `supersedes` the receipt the case arrived with; the
  case is held on the new grant from now on (`referral.consent_receipt_id`, the case key found by it), so a
  later withdrawal withdraws it. The lawful basis becomes `consent`, except that a safeguarding basis stays
  one (the person's agreement does not lift a safeguarding concern). The `consent_to_seek` flag is
  satisfied: it leaves the referral's clear flags (the sealed decision keeps triage's flags as made).
- **declined** (`decline`): the holder's queue entry and every other open one of the case close with the
  outcome `consent_declined`; the case goes on the retention path of cases never taken up (class
  `consent_declined`: `RETENTION_NOT_TAKEN_UP_MONTHS` from receipt), and is counted as closed.

Both are audited with ids and codes only. Services flush; the request's session commits.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import service as audit
from api.auth import Caller
from api.consent import service as consent_service
from api.consent.errors import ConsentNotSought
from api.consent.giver import NoValidConsent, consent_basis
from api.consent.models import ConsentReceipt
from api.consent.schemas import ReceiptKind
from api.encryption import case_keys
from api.kit.crypto import Vault
from api.kit.time import as_utc
from api.queue import service as queue_service
from api.referral import service as referral_service
from api.referral.errors import ConsentGiverInvalid
from api.referral.models import Referral
from api.referral.schemas import GivenBy, Purpose
from api.referral.service import referrer_aad
from api.retention.policy import RetentionClass
from api.stats import service as stats
from api.triage.schemas import Flag, LawfulBasis, Queue

CHANNEL = "first_contact"
# Keeping what the person told us and sharing it with the service: without both there is no case to work.
NEEDED = frozenset({Purpose.store_and_process, Purpose.share_with_provider})


@dataclass(frozen=True)
class Wording:
    """The consent text the caseworker read out: its locale key, language and exact words."""

    key: str
    language: str
    text: str

    @property
    def version(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def seeks_consent(referral: Referral) -> bool:
    """Whether the case still waits for the person's own consent (triage's flag, not yet satisfied)."""
    return Flag.CONSENT_TO_SEEK.value in (referral.flags or []) and referral.withdrawn_at is None


async def record_consent(
    session: AsyncSession,
    vault: Vault,
    caller: Caller,
    referral: Referral,
    *,
    purposes: list[Purpose],
    given_by: GivenBy,
    wording: Wording,
    at: datetime,
    recorded_by: str,
) -> ConsentReceipt:
    """The person agreed at first contact: a new grant receipt the case is held on from now on."""
    if not seeks_consent(referral):
        raise ConsentNotSought()
    if not NEEDED <= set(purposes):
        raise ValueError("consent at first contact needs keeping and sharing with the service")
    earlier = await consent_service.receipt(session, referral.consent_receipt_id, lock=True)
    if earlier is None:
        raise ConsentNotSought()
    triage_input = referral_service.triage_input_of(vault, referral)
    age = triage_input.get("age_years")
    concern = Flag.SAFEGUARDING.value in (referral.flags or []) or bool(
        triage_input.get("child_safeguarding_concern")
    )
    try:
        who = consent_basis(age if isinstance(age, int) else None, given_by, concern)
    except NoValidConsent as exc:
        raise ConsentGiverInvalid() from exc
    basis = (
        LawfulBasis.SAFEGUARDING.value
        if earlier.lawful_basis == LawfulBasis.SAFEGUARDING
        else who.lawful_basis
    )
    await consent_service.register_wording(
        session, wording.version, wording.key, wording.language, wording.text
    )
    receipt = ConsentReceipt(
        kind=ReceiptKind.grant,
        supersedes_id=earlier.id,
        lawful_basis=basis,
        purposes=[str(p) for p in Purpose if p in purposes],
        wording_versions=[wording.version],
        language=wording.language,
        channel=CHANNEL,
        given_by=str(who.given_by),
        given_at=as_utc(at),
        conversation_id=None,
    )
    found = await case_keys.for_receipt(session, vault, earlier.id)
    if found is not None:
        _, key = found
        receipt.referrer_sealed = case_keys.seal_json(
            key,
            {
                "name": recorded_by,
                "organisation": "first_contact",
                "role": "caseworker",
                "id": str(caller.id),
            },
            referrer_aad(referral.id),
        )
    receipt = await consent_service.add_receipt(session, receipt)
    await case_keys.rebind(session, referral.id, receipt.id)
    referral.consent_receipt_id = receipt.id
    referral.flags = [f for f in (referral.flags or []) if f != Flag.CONSENT_TO_SEEK.value]
    await session.flush()
    await audit.record(
        session,
        caller,
        "consent.first_contact",
        referral.id,
        # Codes only, within the audit's 200 characters: the purposes themselves are on the receipt.
        f"receipt={receipt.id} basis={basis} given_by={who.given_by} purposes={len(receipt.purposes)}",
    )
    return receipt


async def decline(
    session: AsyncSession,
    caller: Caller,
    referral: Referral,
    queue: Queue,
    entry_id: uuid.UUID,
    now: datetime,
) -> int:
    """The person declined at first contact: the case closes (every open entry) and is never taken up."""
    if not seeks_consent(referral):
        raise ConsentNotSought()
    closed = await queue_service.close_declined(session, caller, queue, entry_id)
    referral.retention_class = RetentionClass.consent_declined
    referral.retention_from = referral.received_at
    referral.closed_at = now
    await stats.count(session, stats.Event.closed, referral, now, outcome="consent_declined")
    await session.flush()
    await audit.record(
        session, caller, "consent.first_contact_declined", referral.id, f"entries_closed={closed}"
    )
    return closed
