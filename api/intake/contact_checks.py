"""Before anyone contacts the person: where each contact detail came from, whether it is verified, and what
else the data says about the number (issue 17, part 4: "the wrong person must never be contacted").

**Provenance** is kept with the person's contact details, sealed like the rest of `person`, under
`contact_provenance` (one entry per detail: `{"phone": {"source": …, "verified": …, "at": …}}`), and
read back beside the person (`ReferralDetail.contact_provenance`, api/referral/service.py `detail`):

| source | verified | when |
| --- | --- | --- |
| `chat_typed` | no | typed in the web chat (or in an SMS chat, a number other than the sender's) |
| `chat_code` | yes | typed in the chat, then confirmed by a one-time code sent to it (api/phone_check) |
| `sms_sender` | yes | the number the person texts from and gave as theirs: the channel proves it |
| `agency` | no | given by an agency on the person's behalf |
| `police_feed` | no | from the police daily feed |
| `rectified` | no | replaced through a rectification request |

**Warnings** (`check`) for the console's case page, before first contact, as locale keys under
`console.warning.`: an unverified number (with where it came from); the number also on another case as
someone asking for help with their own abusive behaviour (a perpetrator self-referral, found through the
phone blind index: never which case); a household that may be shared (domestic abuse by a partner, a
family member or someone in the household, or the number also on a perpetrator self-referral). Only the yes
or no of each check leaves here.

What the data holds about other parties, and so what can be checked: the perpetrator self-referrals (the
person's own number, by blind index); the police feed has no column for a suspect's number; a safe-contact
person's number is kept in the sealed answers without an index, so it cannot be matched across cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.kit.crypto import Vault
from api.queue import service as queue_service
from api.referral import service as referral_service
from api.referral.models import Referral
from api.sms.identity import conversation_id_for

PROVENANCE = referral_service.PROVENANCE
PHONE = "phone"


class PhoneSource(StrEnum):
    chat_typed = "chat_typed"
    chat_code = "chat_code"
    sms_sender = "sms_sender"
    agency = "agency"
    police_feed = "police_feed"
    rectified = "rectified"


VERIFIED = frozenset({PhoneSource.chat_code, PhoneSource.sms_sender})
# The console's warning (`console.warning.<key>`) for a number not verified, by where it came from.
UNVERIFIED_WARNING = {
    PhoneSource.chat_typed: "unverified_typed",
    PhoneSource.agency: "unverified_agency",
    PhoneSource.police_feed: "unverified_police",
    PhoneSource.rectified: "unverified_rectified",
}
# Relationships (TriageInput.relationship) where the person and the other party may share a home or phone.
SHARED_HOUSEHOLD = frozenset({"partner", "family", "household"})


def source_of_phone(vault: Vault, source: str, conversation_id: str | None, phone: str) -> PhoneSource:
    """Where a new referral's number came from. An SMS conversation's id is the keyed hash of the sender's
    number (api/sms/identity.py), so the number the person gave is theirs exactly when it hashes to it."""
    if source == "agency":
        return PhoneSource.agency
    if source == "police_feed":
        return PhoneSource.police_feed
    if source == "sms" and conversation_id and conversation_id_for(vault, phone) == conversation_id:
        return PhoneSource.sms_sender
    return PhoneSource.chat_typed


def provenance(source: PhoneSource, at: datetime) -> dict[str, Any]:
    return {"source": str(source), "verified": source in VERIFIED, "at": at.isoformat()}


def with_provenance(
    vault: Vault, person: dict[str, Any], source: str, conversation_id: str | None, at: datetime
) -> dict[str, Any]:
    """The person's contact details with the provenance of each detail they hold (now: the phone)."""
    kept = {k: v for k, v in person.items() if k != PROVENANCE}
    phone = kept.get(PHONE)
    if isinstance(phone, str) and phone:
        kept[PROVENANCE] = {PHONE: provenance(source_of_phone(vault, source, conversation_id, phone), at)}
    return kept


def phone_provenance(person: dict[str, Any], referral_source: str) -> tuple[PhoneSource, bool]:
    """The phone's (source, verified). A referral stored before provenance was kept reads by its source,
    unverified."""
    entry = (person.get(PROVENANCE) or {}).get(PHONE) if isinstance(person.get(PROVENANCE), dict) else None
    if isinstance(entry, dict):
        try:
            source = PhoneSource(str(entry.get("source")))
        except ValueError:
            source = PhoneSource.chat_typed
        if source in VERIFIED and entry.get("verified") is not True:
            return PhoneSource.chat_typed, False
        return source, source in VERIFIED
    legacy = {"agency": PhoneSource.agency, "police_feed": PhoneSource.police_feed}
    return legacy.get(referral_source, PhoneSource.chat_typed), False


def verified(person: dict[str, Any], at: datetime) -> dict[str, Any]:
    """The person's details after the number was confirmed by a code."""
    return {
        **person,
        PROVENANCE: {**(person.get(PROVENANCE) or {}), PHONE: provenance(PhoneSource.chat_code, at)},
    }


def rectified(person: dict[str, Any], at: datetime) -> dict[str, Any]:
    """The person's details after the number was replaced: the new one is not verified."""
    kept = {k: v for k, v in person.items() if k != PROVENANCE}
    if isinstance(kept.get(PHONE), str) and kept[PHONE]:
        kept[PROVENANCE] = {PHONE: provenance(PhoneSource.rectified, at)}
    return kept


def household_may_be_shared(triage_input: dict[str, Any]) -> bool:
    """Domestic abuse by a partner, family member or someone in the household: they may share a home, and
    so a phone."""
    return (
        triage_input.get("incident_type") == "domestic_abuse"
        and triage_input.get("relationship") in SHARED_HOUSEHOLD
    )


@dataclass(frozen=True)
class ContactChecks:
    warnings: list[str]  # `console.warning.<key>`, most serious first
    phone_source: PhoneSource | None  # shown beside the number: `console.provenance.<source>`
    phone_verified: bool


async def check(
    session: AsyncSession,
    referral: Referral,
    person: dict[str, Any],
    triage_input: dict[str, Any],
) -> ContactChecks:
    """What the caseworker must know before first contact. Nothing here names or links another case."""
    shown: list[str] = []
    phone = person.get(PHONE)
    if not (isinstance(phone, str) and phone):
        household = household_may_be_shared(triage_input)
        return ContactChecks(["shared_household"] if household else [], None, False)
    on_perpetrator = await queue_service.phone_on_perpetrator_referral(session, referral)
    source, is_verified = phone_provenance(person, referral.source)
    if on_perpetrator:
        shown.append("perpetrator_number")
    if not is_verified:
        shown.append(UNVERIFIED_WARNING[source])
    if on_perpetrator or household_may_be_shared(triage_input):
        shown.append("shared_household")
    return ContactChecks(shown, source, is_verified)
