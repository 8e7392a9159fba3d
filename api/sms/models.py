"""The SMS helpline's tables: the texting number's conversation, inbound messages, the outbox, pacing.

Phone numbers and message bodies are personal data: they are sealed (AES-GCM, bound to their row) and a
body is wiped as soon as it is no longer needed (an inbound one once the bot has answered it, an outbound
one once Twilio has accepted it). A number is found by its blind index, never by its value.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from api.kit.models import Base, CreatedAtMixin, IdMixin, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
Sequence = BigInteger().with_variant(Integer, "sqlite")


class InboundStatus(StrEnum):
    received = "received"  # stored, waiting for its turn
    processing = "processing"  # a worker holds it (until `lease_until`)
    processed = "processed"  # the bot answered; the replies are in the outbox


class OutboxState(StrEnum):
    pending = "pending"  # to send (at `next_attempt_at`)
    sending = "sending"  # a worker holds it (until `lease_until`)
    submitted = "submitted"  # Twilio accepted it; `delivery_status` follows its callbacks
    failed = "failed"  # Twilio refused it, or every attempt failed
    suppressed = "suppressed"  # never sent: the safe-contact plan or an opt-out forbids texting the number
    cancelled = "cancelled"  # never sent: consent was withdrawn


class SmsContact(CreatedAtMixin, Base):
    """One texting number: its conversation id (a keyed hash of the number), the number sealed (to reply),
    and what the SMS layer remembers between turns."""

    __tablename__ = "sms_contact"

    conversation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    phone_index: Mapped[str] = mapped_column(String(64), index=True)
    phone_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # The person texted STOP (Twilio's Advanced Opt-Out): Twilio refuses every SMS until they text START.
    opted_out: Mapped[bool] = mapped_column(default=False)
    # Payloads of the numbered choices in the last reply, so that "2" means the second one.
    last_choices: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SmsInbound(CreatedAtMixin, Base):
    """An inbound SMS or MMS. `id` is arrival order; one conversation's messages are answered in it."""

    __tablename__ = "sms_inbound"
    __table_args__ = (Index("ix_sms_inbound_conversation_status", "conversation_id", "status", "id"),)

    id: Mapped[int] = mapped_column(Sequence, primary_key=True, autoincrement=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(64))
    sender_number: Mapped[str] = mapped_column(String(32))  # our number the person texted (not personal)
    body_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    num_media: Mapped[int] = mapped_column(default=0)
    opt_out_type: Mapped[str | None] = mapped_column(String(16), default=None)  # STOP | START | HELP
    status: Mapped[str] = mapped_column(String(16), default=InboundStatus.received)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claim: Mapped[str | None] = mapped_column(String(32), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)


class SmsOutbound(IdMixin, CreatedAtMixin, Base):
    """The durable outbox: one SMS to send, sent in `(conversation, seq)` order."""

    __tablename__ = "sms_outbound"
    __table_args__ = (
        Index("ix_sms_outbound_due", "state", "next_attempt_at"),
        Index("ix_sms_outbound_conversation", "conversation_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger)  # order within the conversation
    conversation_id: Mapped[str] = mapped_column(String(64))
    inbound_id: Mapped[int | None] = mapped_column(Sequence, default=None)
    sender_number: Mapped[str] = mapped_column(String(32))
    body_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    segments: Mapped[int] = mapped_column(default=1)
    state: Mapped[str] = mapped_column(String(16), default=OutboxState.pending)
    reason: Mapped[str | None] = mapped_column(String(32), default=None)  # why failed/suppressed (a code)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claim: Mapped[str | None] = mapped_column(String(32), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    twilio_sid: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    delivery_status: Mapped[str | None] = mapped_column(String(16), default=None)
    error_code: Mapped[int | None] = mapped_column(default=None)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SmsSenderPace(Base):
    """The next moment each of our numbers may send: pacing shared by every worker process."""

    __tablename__ = "sms_sender_pace"

    sender_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_at: Mapped[datetime]


def new_claim() -> str:
    return uuid.uuid4().hex


def as_payloads(values: Any) -> list[str]:
    return [str(v) for v in values] if isinstance(values, list) else []
