"""API shapes of referrals."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from api.config import get_settings
from api.kit import phone
from api.kit.time import LondonDateTime
from api.triage import TriageInput

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
AnswerValue = (
    Annotated[str, StringConstraints(max_length=2000)]
    | bool
    | int
    | list[Annotated[str, StringConstraints(max_length=200)]]
    | None
)


class Source(StrEnum):
    web_chat = "web_chat"
    sms = "sms"
    agency = "agency"


class GivenBy(StrEnum):
    person = "person"
    parent_guardian = "parent_guardian"
    agency = "agency"


class Purpose(StrEnum):
    store_and_process = "store_and_process"
    share_with_provider = "share_with_provider"
    contact_sms = "contact_sms"
    contact_phone = "contact_phone"
    contact_voicemail = "contact_voicemail"
    contact_email = "contact_email"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Referrer(Strict):
    name: ShortText
    organisation: ShortText
    contact: ShortText


class ConsentIn(Strict):
    given_by: GivenBy
    purposes: list[Purpose] = Field(max_length=len(Purpose))
    wording_versions: list[Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]] = Field(
        min_length=1, max_length=10, description="SHA-256 of each exact consent text shown (see /v1/nlg)."
    )
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
    given_at: datetime
    referrer: Referrer | None = None


class PersonIn(Strict):
    name: ShortText | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None = None
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)] | None = None
    sms_safe: bool | None = None
    voicemail_safe: bool | None = None
    safe_times: ShortText | None = None

    @field_validator("phone")
    @classmethod
    def _phone_e164(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return phone.normalise(value, get_settings().allow_fictional_phone_numbers)


class ReferralCreate(Strict):
    source: Source
    conversation_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
    person: PersonIn
    answers: dict[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")], AnswerValue] = Field(
        default_factory=dict, max_length=80
    )
    consent: ConsentIn
    triage: TriageInput

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "source": "web_chat",
                    "conversation_id": "c_2VtI3c1pYbq0m8x",
                    "language": "en",
                    "person": {"phone": "07700 900123", "sms_safe": True},
                    "answers": {
                        "incident_description": "Shouted at in the street by a neighbour (synthetic example)",
                        "incident_when": "yesterday evening",
                        "hate_strand": "race",
                    },
                    "consent": {
                        "given_by": "person",
                        "purposes": ["store_and_process", "share_with_provider", "contact_sms"],
                        "wording_versions": ["0" * 64],
                        "language": "en",
                        "given_at": "2026-11-24T10:00:00+00:00",
                    },
                    "triage": {"incident_type": "hate", "hate_strands": ["race"], "consent": "given"},
                }
            ]
        },
    )


class ReferralRead(BaseModel):
    reference: str | None
    outcome: str
    queue: str | None
    secondary_queue: str | None
    tier: str | None
    priority: str
    emergency: bool
    deadline: LondonDateTime | None
    flags: list[str]
    rules_version: str
    received_at: datetime
    # The consent receipt behind the referral: what `POST /v1/consents/{id}/withdraw` takes. Null when
    # nothing was kept.
    consent_receipt_id: str | None = None


class ReferralDetail(ReferralRead):
    source: str
    language: str
    person: dict[str, Any]
    answers: dict[str, Any]
