"""API shapes of the rights feature. Personal data travels in request bodies only, never in paths or
query strings (they reach access logs)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]


class Subject(BaseModel):
    """How to find a person: exactly one of these."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"phone": "+447700900123"}, {"reference": "SR-2345-6789"}]},
    )

    phone: Text | None = None
    email: Text | None = None
    reference: Annotated[str, StringConstraints(pattern=r"^SR-[0-9A-Z]{4}-[0-9A-Z]{4}$")] | None = None
    crime_reference: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None
    ) = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Subject:
        named = [v for v in (self.phone, self.email, self.reference, self.crime_reference) if v is not None]
        if len(named) != 1:
            raise ValueError("name exactly one of phone, email, reference, crime_reference")
        return self

    @property
    def kind(self) -> str:
        for name in ("phone", "email", "reference", "crime_reference"):
            if getattr(self, name) is not None:
                return name
        raise AssertionError("validated: exactly one is set")


class StoreCounts(BaseModel):
    """How many rows of each store hold something about the person (ids only in `references`)."""

    references: list[str]
    referrals: int
    consent_receipts: int
    queue_entries: int
    sms_contacts: int
    sms_inbound: int
    sms_outbound: int
    conversations: int
    transcript_messages: int = Field(description="Messages still in Rasa's tracker store (chat and SMS).")


class ExportRequest(Subject):
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")] | None = Field(
        default=None,
        description="The language of the readable document; by default the language of the person's newest "
        "case.",
    )


class Export(BaseModel):
    """Everything held about the person: `data` machine-readable, `document` readable in their language."""

    language: str
    direction: str
    data: dict[str, Any]
    document: str


class RectifiableField(StrEnum):
    name = "name"
    phone = "phone"
    email = "email"
    sms_safe = "sms_safe"
    voicemail_safe = "voicemail_safe"
    safe_times = "safe_times"


class Rectification(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"reference": "SR-2345-6789", "field": "phone", "value": "+447700900456"}]
        },
    )

    reference: Annotated[str, StringConstraints(pattern=r"^SR-[0-9A-Z]{4}-[0-9A-Z]{4}$")]
    field: RectifiableField
    value: Text | bool | None = Field(description="The correct value; null removes the field.")


class Rectified(BaseModel):
    reference: str
    field: RectifiableField


class ErasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reference": "SR-2345-6789"}]})

    reference: Annotated[str, StringConstraints(pattern=r"^SR-[0-9A-Z]{4}-[0-9A-Z]{4}$")]


class Erased(BaseModel):
    reference: str
    removed: dict[str, int]


class ConversationWithdrawal(BaseModel):
    """What a withdrawal by conversation found: the references whose consent is now withdrawn (including
    any withdrawn before). Empty: this conversation made no referral that is still held."""

    references: list[str]
    withdrawn_now: int


class ConversationUrgent(BaseModel):
    """The references of this conversation's open cases, now urgent. Empty: none is open."""

    references: list[str]
