"""What the service says about its hours."""

from __future__ import annotations

from pydantic import BaseModel

from api.kit.time import LondonDateTime


class CallbackWindow(BaseModel):
    id: str
    starts_at: LondonDateTime
    ends_at: LondonDateTime


class ServiceHours(BaseModel):
    timezone: str = "Europe/London"
    open_now: bool
    # While open: when this opening ends. While closed: when the service next opens (null when not within
    # 60 days, or never: OPENING_HOURS=none).
    closes_at: LondonDateTime | None
    opens_at: LondonDateTime | None
    opening_hours: str
    closed_on_bank_holidays: bool
    callback_windows: list[CallbackWindow]
