"""One row per (referral, queue): what a provider's caseworkers pull from."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, LargeBinary, String
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
    # Moved to another queue (a caseworker's transfer, or a team lead re-routing a returned case): a new
    # entry in the other queue carries the case on; this one stays as the record of where it was.
    transferred = "transferred"


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
    # A `consent_to_seek` case whose person declined at first contact (api/intake/first_contact.py).
    consent_declined = "consent_declined"


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
    # When the person was first reached (api/queue/activity.py): compared with `deadline`, it says whether
    # the deadline the person was promised was met.
    first_contact_at: Mapped[datetime | None] = mapped_column(default=None)
    # The entry this one came from (a transfer or a re-route), so the case's path through queues is kept.
    # Indexed: every queue entry deleted (disposal, erasure) checks this foreign key, and without an index
    # SQLite scans the whole table for each row (load/bench_retention.py).
    transferred_from: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("queue_entry.id"), default=None, index=True
    )


class ActivityKind(StrEnum):
    note = "note"
    attempt = "attempt"  # a contact attempt that did not reach the person
    first_contact = "first_contact"


class ContactChannel(StrEnum):
    phone = "phone"
    sms = "sms"
    email = "email"
    in_person = "in_person"
    letter = "letter"


class AttemptOutcome(StrEnum):
    """Why an attempt did not reach the person (a message is left only where the plan allows it)."""

    no_answer = "no_answer"
    not_safe_to_talk = "not_safe_to_talk"
    someone_else_answered = "someone_else_answered"
    wrong_number = "wrong_number"
    message_left = "message_left"


class FirstContactOutcome(StrEnum):
    support_accepted = "support_accepted"
    support_declined = "support_declined"
    call_back_arranged = "call_back_arranged"


NOTE_LENGTH = 4000


class CaseActivity(IdMixin, CreatedAtMixin, Base):
    """A note, a contact attempt or the first contact on a case, by one person. The free text is sealed
    (it may hold anything the caseworker wrote); the codes are clear (reports count them)."""

    __tablename__ = "case_activity"

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referral.id"), index=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("queue_entry.id"), index=True)
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principal.id"))
    kind: Mapped[ActivityKind] = mapped_column(EnumText(ActivityKind, 16))
    at: Mapped[datetime]
    channel: Mapped[ContactChannel | None] = mapped_column(EnumText(ContactChannel, 16), default=None)
    outcome: Mapped[str | None] = mapped_column(String(32), default=None)
    # First contact: the neutral opening and identity check were done before anything about the case.
    identity_checked: Mapped[bool | None] = mapped_column(default=None)
    # First contact of a `consent_to_seek` case: the person's own consent, asked for and given (or not).
    consent_given: Mapped[bool | None] = mapped_column(default=None)
    text_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
