"""The web chat's API shapes."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.conversation.schemas import MAX_MESSAGE_CHARS, BotMessage


class ConversationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"language": "pl"}, {}]})
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")] | None = None


class ConversationRead(BaseModel):
    id: str
    language: str
    direction: str


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"text": "hello"}]})
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_MESSAGE_CHARS)]


class Reply(BaseModel):
    conversation_id: str
    messages: list[BotMessage]
    language: str = Field(
        description="The conversation's language after this turn (it changes only when the person chooses)."
    )
    direction: str = Field(description="`ltr` or `rtl`, for the language.")
