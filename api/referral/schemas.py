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
    """Whose consent the receipt records (see api/consent/giver.py for who may consent for a child)."""

    person = "person"  # the person themselves (an adult, or as sent by the bot before the age rules)
    young_person_gillick = "young_person_gillick"  # a child 13-17 judged able to understand (Gillick)
    parent_guardian = "parent_guardian"  # a parent or carer, for a child
    agency = "agency"  # an agency attesting the (adult) person's own consent


class ReferrerRole(StrEnum):
    """The referrer's role; only SAFEGUARDING_ROLES may record a safeguarding basis instead of consent."""

    designated_safeguarding_lead = "designated_safeguarding_lead"
    social_worker = "social_worker"
    police_officer = "police_officer"
    health_professional = "health_professional"
    teacher = "teacher"
    housing_officer = "housing_officer"
    support_worker = "support_worker"
    other = "other"


# Who may refer without the person's consent, on a safeguarding basis (DESIGN.md §4: "unless a safeguarding
# basis is recorded by a permitted role"): those whose job is to act on safeguarding concerns.
SAFEGUARDING_ROLES = frozenset(
    {ReferrerRole.designated_safeguarding_lead, ReferrerRole.social_worker, ReferrerRole.police_officer}
)


class AgencyBasis(StrEnum):
    consent = "consent"
    safeguarding = "safeguarding"


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
    contact: ShortText = Field(description="A phone number or e-mail address to reach the referrer.")
    role: ReferrerRole | None = Field(
        default=None, description="Required for a safeguarding basis (only SAFEGUARDING_ROLES record one)."
    )


class ConsentIn(Strict):
    given_by: GivenBy
    purposes: list[Purpose] = Field(max_length=len(Purpose))
    wording_versions: list[Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]] = Field(
        min_length=1, max_length=10, description="SHA-256 of each exact consent text shown (see /v1/nlg)."
    )
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
    given_at: datetime
    referrer: Referrer | None = None
    lawful_basis: AgencyBasis = Field(
        default=AgencyBasis.consent,
        description="Agency referrals: `safeguarding` when a referrer in a permitted role refers without the "
        "person's consent (purposes then empty; consent is sought at first contact). The bot's basis is "
        "its triage input's.",
    )


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
    flow: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,47}$")] | None = Field(
        default=None,
        description="The journey (a flow of flows/: hate_crime, asb, domestic_abuse, perpetrator, "
        "young_person). Required from an agency: its `answers` are checked against the flow's agency "
        "variant and the triage input is built from them (an agency sends no `triage`).",
        examples=["hate_crime"],
    )
    answers: dict[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")], AnswerValue] = Field(
        default_factory=dict,
        max_length=80,
        description="Keyed by question id. With `flow`: canonical answers (choice value, true/false, "
        "integer, YYYY-MM-DD, phone, postcode, text, or prefer_not_to_say for an optional question).",
    )
    consent: ConsentIn
    triage: TriageInput | None = Field(
        default=None,
        description="The bot's triage input (required from the bot; an agency's comes from `flow`).",
    )

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
                },
                {
                    "source": "agency",
                    "language": "en",
                    "flow": "hate_crime",
                    "person": {"name": "Synthetic Person"},
                    "answers": {
                        "postcode": "ST4 1AA",
                        "incident_description": "Shouted at in the street (synthetic example)",
                        "incident_when": "2026-11-20",
                        "hate_strand": "race",
                        "contact_phone": "07700 900123",
                        "sms_safe": True,
                    },
                    "consent": {
                        "given_by": "agency",
                        "purposes": [
                            "store_and_process",
                            "share_with_provider",
                            "contact_phone",
                            "contact_sms",
                        ],
                        "wording_versions": ["0" * 64],
                        "language": "en",
                        "given_at": "2026-11-24T10:00:00+00:00",
                        "referrer": {
                            "name": "Synthetic Officer",
                            "organisation": "Synthetic Homes",
                            "contact": "01782 000000",
                            "role": "housing_officer",
                        },
                    },
                },
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
    # A call-back the person asked for (in the chat, while the service was open): the window they chose as
    # safe, in Europe/London time. Null when none was asked for.
    callback_from: LondonDateTime | None = None
    callback_until: LondonDateTime | None = None
    # On the answer to the referral's creation only: whether the phone number given is verified already (the
    # number an SMS conversation texts from), so the bot offers a one-time code only for one that is not.
    # Null when no number was given, and on every later read.
    phone_verified: bool | None = None


class DetailWithheld(StrEnum):
    """Why a reader sees a case's status but no longer its details."""

    returned = "returned"  # a provider: every entry of theirs went back to triage (beyond the grace)
    closed = "closed"  # a provider: their work on it ended (beyond the grace)
    withdrawn = "withdrawn"  # the referring agency: the person withdrew their consent


class ReferralDetail(ReferralRead):
    source: str
    language: str
    person: dict[str, Any] | None = Field(
        description="The person's details; null when `detail_withheld` says why they are no longer shown."
    )
    answers: dict[str, Any] | None = Field(
        description="The answers; null when `detail_withheld` says why they are no longer shown."
    )
    contact_provenance: dict[str, Any] | None = Field(
        default=None,
        description="Where each contact detail came from and whether it is verified, by detail: "
        '`{"phone": {"source": "chat_typed" | "chat_code" | "sms_sender" | "agency" | "police_feed" | '
        '"rectified", "verified": bool, "at": time}}`. Contact an unverified number carefully: check who '
        "answers before saying anything. Null for cases stored before it was kept, and when withheld.",
    )
    detail_withheld: DetailWithheld | None = Field(
        default=None,
        description="Set when the caller still sees the case's status but no longer its details: a provider "
        "after returning or closing it (beyond CASE_DETAIL_GRACE_HOURS), the agency after withdrawal.",
    )


class UrgentReason(StrEnum):
    """Why a case became urgent after hand-off. A code: it lands in the audit trail."""

    danger_reported = "danger_reported"  # the person said they are in danger now (the bot's emergency layer)
    other = "other"


class UrgentCreate(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"reason": "danger_reported", "conversation_id": "c_2VtI3c1pYbq0m8x"}]
        },
    )

    reason: UrgentReason = UrgentReason.danger_reported
    conversation_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        default=None,
        description="The conversation the case came from. Required from the bot service, which may mark "
        "only cases made in that conversation; ignored from an admin.",
    )


class CallbackCreate(Strict):
    """A call-back time the person chose after hand-off: one of the windows `GET /v1/service/hours` offers
    now (`asap`, or `HHMM-HHMM` later today)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"window": "1400-1600", "conversation_id": "c_2VtI3c1pYbq0m8x"}]},
    )

    window: Annotated[str, StringConstraints(pattern=r"^(asap|[0-2][0-9][0-5][0-9]-[0-2][0-9][0-5][0-9])$")]
    conversation_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        default=None,
        description="The conversation the case came from. Required from the bot service, which may ask "
        "only for a case made in that conversation; ignored from an admin.",
    )
