"""What a bot turn says, on any channel: messages with their buttons."""

from __future__ import annotations

from pydantic import BaseModel

MAX_MESSAGE_CHARS = 5000


class Button(BaseModel):
    title: str
    payload: str


class BotMessage(BaseModel):
    text: str
    buttons: list[Button] = []
