"""Legal hold: request and answer shapes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class HoldReason(StrEnum):
    """Why a case must be kept past its retention: a code, never free text (it is audited)."""

    litigation = "litigation"
    police_request = "police_request"
    safeguarding_review = "safeguarding_review"
    complaint = "complaint"
    regulator_request = "regulator_request"
    subject_request = "subject_request"


class HoldCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "litigation"}]})

    reason: HoldReason


class HoldRelease(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "litigation"}]})

    reason: HoldReason


class HoldRead(BaseModel):
    reference: str
    held: bool
    reason: str | None
    held_at: datetime | None
    retention_class: str
    dispose_after: datetime | None
