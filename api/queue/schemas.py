from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from api.kit.time import LondonDateTime
from api.referral.schemas import ReferralDetail


class QueueName(StrEnum):
    hate_crime = "hate_crime"
    asb_mediation = "asb_mediation"
    domestic_abuse_victim = "domestic_abuse_victim"
    domestic_abuse_perpetrator = "domestic_abuse_perpetrator"
    children_front_door = "children_front_door"
    signpost_other = "signpost_other"


class QueueItem(BaseModel):
    entry_id: str
    reference: str
    status: str
    priority: str
    tier: str | None
    deadline: LondonDateTime | None
    received_at: datetime
    flags: list[str]
    is_secondary: bool
    lease_expires_at: datetime | None


class QueueList(BaseModel):
    queue: QueueName
    items: list[QueueItem]


class ClaimedCase(BaseModel):
    entry_id: str
    lease_expires_at: datetime
    case: ReferralDetail
