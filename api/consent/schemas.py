"""API shapes of consent receipts and their withdrawal."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.consent.models import ConsentReceipt


class ReceiptKind(StrEnum):
    grant = "grant"
    withdrawal = "withdrawal"


class WithdrawalReason(StrEnum):
    """Why consent ends. A code, never free text: the reason lands in the audit trail."""

    person_request = "person_request"  # the person no longer wants the service (no reason needed)
    unsafe_to_contact = "unsafe_to_contact"  # contact from the service would put them at risk
    support_elsewhere = "support_elsewhere"  # they are supported by another service
    recorded_in_error = "recorded_in_error"  # the consent was recorded for the wrong person or by mistake
    other = "other"


class RequestedBy(StrEnum):
    """Who asked for the withdrawal (the withdrawal receipt's `given_by`)."""

    person = "person"
    parent_guardian = "parent_guardian"
    agency = "agency"  # the referring agency, passing on the person's wish


class WithdrawalCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"reason": "person_request", "requested_by": "person", "conversation_id": "c_2VtI3c1pYbq0m8x"}
            ]
        },
    )

    reason: WithdrawalReason
    requested_by: RequestedBy
    conversation_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        default=None,
        description="The conversation in which the person asked. Required from the bot service, which may "
        "withdraw only receipts given in that conversation; ignored from others.",
    )


class ConsentRead(BaseModel):
    """A consent receipt as stored. A withdrawal's `purposes` are those it withdraws."""

    id: str
    kind: ReceiptKind
    supersedes_id: str | None
    lawful_basis: str
    purposes: list[str]
    wording_versions: list[str]
    language: str
    channel: str
    given_by: str
    given_at: datetime
    conversation_id: str | None
    created_at: datetime

    @classmethod
    def of(cls, receipt: ConsentReceipt) -> ConsentRead:
        return cls(
            id=str(receipt.id),
            kind=ReceiptKind(receipt.kind),
            supersedes_id=str(receipt.supersedes_id) if receipt.supersedes_id else None,
            lawful_basis=receipt.lawful_basis,
            purposes=list(receipt.purposes),
            wording_versions=list(receipt.wording_versions),
            language=receipt.language,
            channel=receipt.channel,
            given_by=receipt.given_by,
            given_at=receipt.given_at,
            conversation_id=receipt.conversation_id,
            created_at=receipt.created_at,
        )


class WordingRead(BaseModel):
    version: str = Field(description="SHA-256 of the exact text shown.")
    key: str
    language: str
    text: str


class ConsentDetail(ConsentRead):
    """A receipt for an administrator: the exact texts it points at, who attested it, what it covers."""

    wordings: list[WordingRead]
    referrer: dict[str, Any] | None = Field(description="The agency worker who attested consent, if any.")
    personal_data_erased: bool = Field(
        default=False,
        description="The case's personal data on this receipt (the referrer, if any) was erased: its case "
        "key was destroyed at disposal or erasure. The receipt itself is kept, unchanged (append-only).",
    )
    referral_references: list[str]
    withdrawn_by_id: str | None = Field(description="The withdrawal receipt superseding this grant, if any.")
