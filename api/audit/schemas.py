"""API shapes of the audit trail."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ChainVerification(BaseModel):
    ok: bool = Field(description="True when every event's hash chains from the one before it.")
    events: int = Field(description="Events verified intact, from the first.")
    first_broken_seq: int | None = Field(
        description="The first event whose hash does not follow (changed, removed before it, or reordered)."
    )

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"ok": True, "events": 1204, "first_broken_seq": None}]}
    )
