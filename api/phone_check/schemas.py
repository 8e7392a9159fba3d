from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

ConversationId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class PhoneCheckCreate(BaseModel):
    """Send a one-time code to the case's number (by SMS, through the outbox)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"conversation_id": "c_2VtI3c1pYbq0m8x"}]}
    )

    conversation_id: ConversationId = Field(description="The conversation the case came from.")


class PhoneCheckConfirm(BaseModel):
    """What the person typed back. Everything but its digits is ignored ("my code is 123 456")."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"conversation_id": "c_2VtI3c1pYbq0m8x", "code": "123456"}]},
    )

    conversation_id: ConversationId = Field(description="The conversation the case came from.")
    code: Annotated[str, StringConstraints(max_length=64)]


class CheckOutcome(StrEnum):
    sent = "sent"  # a code is on its way
    verified = "verified"  # the number is confirmed (or was already)
    wrong = "wrong"  # not the code: `attempts_left` more tries
    failed = "failed"  # too many wrong codes: carry on, the number stays unverified
    expired = "expired"  # the code expired: carry on (or ask for a new one)


class PhoneCheckRead(BaseModel):
    outcome: CheckOutcome
    attempts_left: int = Field(ge=0)
