"""Rasa's NLG endpoint protocol (rasa/core/nlg/callback.py): request and response shapes.

Only the tracker's `slots` are read. The bot's generator (bot/server/nlg.py) sends just those and the sender
id; Rasa's own would send the whole tracker, which is still accepted."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class NlgRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "response": "utter_session_help",
                    "arguments": {},
                    "tracker": {"sender_id": "w_Zk3v9Q0b2mXyS1tL8rN4pHc7dF6gJ5", "slots": {"language": "en"}},
                    "channel": {"name": "rest"},
                }
            ]
        }
    )

    response: str = Field(pattern=r"^utter_[a-z0-9_]+$", max_length=120)
    id: str | None = None
    arguments: dict[str, Any] = Field(default_factory=dict)
    tracker: dict[str, Any] = Field(default_factory=dict)
    channel: dict[str, Any] = Field(default_factory=dict)

    def slots(self) -> dict[str, Any]:
        slots = self.tracker.get("slots") or {}
        return slots if isinstance(slots, dict) else {}


class NlgButton(BaseModel):
    title: str
    payload: str


class NlgResponse(BaseModel):
    """An empty response (no text) makes Rasa say nothing, as for its built-in `utter_restart`."""

    text: str | None = None
    buttons: list[NlgButton] | None = None
