from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator

from api.kit.time import LondonDateTime
from api.queue.models import CloseOutcome, EntryStatus, ReturnReason
from api.referral.schemas import ReferralDetail
from api.triage.schemas import Queue
from flowkit.postcode import FULL_IN_TEXT

# A return note is stored beside its reason code in one column ("code: note"), unencrypted: it is for
# routing ("client is in Cheshire", "same incident as SR-…"), never for personal data.
RETURN_NOTE_MAX = 160
# Contact details are the personal data a note is most likely to carry by mistake; refuse them outright.
# (Names cannot be recognised reliably; the API documentation and the caseworkers' guidance say so.)
_CONTACT_DETAILS = re.compile(
    r"[^\s@]+@[^\s@]+\.[^\s@]+"  # an e-mail address
    r"|\+?\d(?:[\s().-]*\d){6,}"  # a phone number (7 digits or more, any spacing)
    rf"|{FULL_IN_TEXT.pattern}",  # a UK postcode
    re.IGNORECASE,
)
# Case references ("duplicate of SR-2345-6789") are ids, not personal data, even when all digits.
_REFERENCE = re.compile(r"\bSR-[2-9A-Z]{4}-[2-9A-Z]{4}\b")


class QueueItem(BaseModel):
    entry_id: str
    reference: str
    status: str
    priority: str
    tier: str | None
    deadline: LondonDateTime | None
    received_at: datetime
    flags: list[str]
    is_secondary: bool
    lease_expires_at: datetime | None
    # The call-back window the person chose as safe (Europe/London), if they asked for one.
    callback_from: LondonDateTime | None = None
    callback_until: LondonDateTime | None = None


class QueueList(BaseModel):
    queue: Queue
    items: list[QueueItem]


class ClaimedCase(BaseModel):
    entry_id: str
    lease_expires_at: datetime
    case: ReferralDetail


class ReturnToTriage(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "wrong_service", "note": "Lives outside Staffordshire"}]},
    )

    reason: ReturnReason
    note: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=RETURN_NOTE_MAX)]
        | None
    ) = None

    @field_validator("note")
    @classmethod
    def _no_contact_details(cls, value: str | None) -> str | None:
        # The message never repeats the value: it may be exactly the personal data we refuse.
        if value is not None and _CONTACT_DETAILS.search(_REFERENCE.sub(" ", value)):
            raise ValueError("must not contain contact details or other personal data")
        return value


class CloseCase(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"outcome": "supported"}]})

    outcome: CloseOutcome


class CaseState(BaseModel):
    """A queue entry's lifecycle state after a change."""

    entry_id: str
    reference: str
    queue: Queue
    status: EntryStatus
    lease_expires_at: datetime | None
    accepted_at: datetime | None
    closed_at: datetime | None
    return_reason: ReturnReason | None
    return_note: str | None
    outcome: CloseOutcome | None
