"""One row per (referral, queue): what a provider's caseworkers pull from."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from api.kit.models import Base, CreatedAtMixin, EnumText, IdMixin, utcnow
from api.triage.schemas import Queue


class EntryStatus(StrEnum):
    queued = "queued"
    claimed = "claimed"
    accepted = "accepted"
    returned = "returned"
    closed = "closed"
    withdrawn = "withdrawn"


class ReturnReason(StrEnum):
    """Why a caseworker hands a case back to triage."""

    wrong_service = "wrong_service"
    needs_more_information = "needs_more_information"
    duplicate = "duplicate"
    other = "other"


class CloseOutcome(StrEnum):
    """How a provider's work on a case ended."""

    supported = "supported"
    declined_support = "declined_support"
    unable_to_contact = "unable_to_contact"
    referred_on = "referred_on"
    no_further_action = "no_further_action"


RETURN_REASON_LENGTH = 200


class QueueEntry(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "queue_entry"
    __table_args__ = (
        Index("ix_queue_entry_order", "queue", "status", "priority_rank", "deadline", "received_at"),
    )

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referral.id"), index=True)
    queue: Mapped[Queue] = mapped_column(EnumText(Queue, 32))
    is_secondary: Mapped[bool] = mapped_column(default=False)
    status: Mapped[EntryStatus] = mapped_column(EnumText(EntryStatus, 16), default=EntryStatus.queued)
    priority_rank: Mapped[int]
    deadline: Mapped[datetime | None]
    received_at: Mapped[datetime]
    claimed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    # Why it went back to triage, or how it ended: short codes and caseworker notes without personal data.
    return_reason: Mapped[str | None] = mapped_column(String(RETURN_REASON_LENGTH), default=None)
    outcome: Mapped[CloseOutcome | None] = mapped_column(EnumText(CloseOutcome, 32), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
