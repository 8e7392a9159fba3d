"""The SMS helpline's tables: the texting number's conversation, inbound messages, the outbox, pacing.

Phone numbers and message bodies are personal data: they are sealed (AES-GCM, bound to their row) and a
body is wiped as soon as it is no longer needed (an inbound one once the bot has answered it, an outbound
one once Twilio has accepted it). A number is found by its blind index, never by its value.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column

from api.kit.models import Base, CreatedAtMixin, IdMixin, utcnow
from api.sms.schemas import StatusReport, merge_status

NO_BODY = "no_body"
# A pending SMS the per-number send limit (RATE_LIMIT_SMS_OUTBOUND) put off to `next_attempt_at`.
RATE_LIMITED = "rate_limited"

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
Sequence = BigInteger().with_variant(Integer, "sqlite")


class InboundStatus(StrEnum):
    received = "received"  # stored, waiting for its turn
    processing = "processing"  # a worker holds it (until `lease_until`)
    processed = "processed"  # the bot answered; the replies are in the outbox
    # Every attempt failed (a body that no longer opens, an error in the turn): kept, out of the queue,
    # until an admin retries it (`python -m api sms dead-letters list|retry`); later messages go on.
    dead = "dead"


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

    def opt(self, *, out: bool, now: datetime) -> None:
        """Twilio opted the number out (STOP, or refused a send as unsubscribed) or back in (START)."""
        self.opted_out = out
        self.updated_at = now

    def remember_choices(self, choices: list[str], now: datetime) -> None:
        self.last_choices = choices
        self.updated_at = now


class SmsInbound(CreatedAtMixin, Base):
    """An inbound SMS or MMS. `id` is arrival order; one conversation's messages are answered in it."""

    __tablename__ = "sms_inbound"
    __table_args__ = (Index("ix_sms_inbound_conversation_status", "conversation_id", "status", "id"),)

    id: Mapped[int] = mapped_column(Sequence, primary_key=True, autoincrement=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)
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
    # The last failure's kind (an exception's type name, never its text) and when the row was given up.
    last_error: Mapped[str | None] = mapped_column(String(64), default=None)
    dead_at: Mapped[datetime | None] = mapped_column(default=None)
    # Set (and committed) just before the text goes to the bot: after a crash, a row with this set is
    # replayed into Rasa only when Rasa's tracker has no user message carrying its MessageSid.
    bot_asked_at: Mapped[datetime | None] = mapped_column(default=None)

    def waits(self, now: datetime) -> bool:
        """Still in a worker's hands, or waiting for its retry: the conversation's later messages wait too."""
        if self.status == InboundStatus.processing:
            return self.lease_until is not None and self.lease_until >= now
        return self.status == InboundStatus.received and self.next_attempt_at > now

    def take(self, claim: str, now: datetime, lease: timedelta) -> None:
        self.status = InboundStatus.processing
        self.claim = claim
        self.lease_until = now + lease
        self.attempts += 1

    def retry_at(self, moment: datetime) -> None:
        """The bot did not answer: back in the queue, for another attempt at `moment`."""
        self.status = InboundStatus.received
        self._release()
        self.next_attempt_at = moment

    def failed_attempt(self, error: str, moment: datetime, max_attempts: int, now: datetime) -> bool:
        """A turn failed with `error`: back in the queue for `moment`, or dead once the attempts are spent.
        True when it is now dead."""
        self.last_error = error[:64]
        self._release()
        if self.attempts >= max_attempts:
            self.status = InboundStatus.dead
            self.dead_at = now
            return True
        self.status = InboundStatus.received
        self.next_attempt_at = moment
        return False

    def revive(self, now: datetime) -> None:
        """An admin retries a dead letter: back in the queue at once with a fresh set of attempts."""
        self.status = InboundStatus.received
        self.attempts = 0
        self.dead_at = None
        self.next_attempt_at = now
        self._release()

    def answered(self, now: datetime) -> None:
        """The replies are in the outbox: the body is wiped."""
        self.status = InboundStatus.processed
        self.body_sealed = None
        self._release()
        self.processed_at = now

    def _release(self) -> None:
        self.claim = None
        self.lease_until = None


class SmsOutbound(IdMixin, CreatedAtMixin, Base):
    """The durable outbox: one SMS to send, sent in `(conversation, seq)` order."""

    __tablename__ = "sms_outbound"
    __table_args__ = (
        Index("ix_sms_outbound_due", "state", "next_attempt_at"),
        Index("ix_sms_outbound_conversation", "conversation_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger)  # order within the conversation
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)
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
    # Set when an attempt hands the SMS to Twilio and cleared once Twilio's answer is recorded: while set,
    # Twilio may have accepted it, so the next attempt first asks Twilio (api/sms/outbox.py: reconcile).
    unsure_since: Mapped[datetime | None] = mapped_column(default=None)
    # Never held back by the per-number send limit: the reply to a message that matched a danger phrase
    # (the 999 advice) and to STOP/START. It may pass the conversation's SMS that the limit put off.
    safety: Mapped[bool] = mapped_column(default=False, server_default=false())

    def waits(self, now: datetime) -> bool:
        """Being sent, or waiting for its retry: the conversation's later SMS wait too."""
        if self.state == OutboxState.sending:
            return self.lease_until is not None and self.lease_until >= now
        return self.state == OutboxState.pending and self.next_attempt_at > now

    def take(self, claim: str, now: datetime, lease: timedelta) -> None:
        self.state = OutboxState.sending
        self.claim = claim
        self.lease_until = now + lease
        self.attempts += 1
        self.reason = None
        self.updated_at = now

    @property
    def rate_limited(self) -> bool:
        """Put off by the per-number send limit (not by a failed attempt)."""
        return self.state == OutboxState.pending and self.reason == RATE_LIMITED

    def defer(self, moment: datetime, now: datetime) -> None:
        """The per-number send limit is reached: sent at `moment` instead. Not an attempt (the claim's is
        given back), and an unsure earlier attempt stays unsure."""
        self.state = OutboxState.pending
        self.reason = RATE_LIMITED
        self.attempts = max(self.attempts - 1, 0)
        self.next_attempt_at = moment
        self._release(now)

    def hold_until(self, moment: datetime) -> None:
        """Keep the lease past the send slot and Twilio's answer."""
        self.lease_until = moment

    def withhold(self, reason: str) -> None:
        """Never sent: the safe-contact plan or an opt-out forbids it (suppressed), or it has no body."""
        self.state = OutboxState.failed if reason == NO_BODY else OutboxState.suppressed
        self.reason = reason
        self.body_sealed = None
        self._release()

    def submitted(self, twilio_sid: str | None, status: str | None, now: datetime) -> None:
        """Twilio accepted it: the body is wiped; its delivery status follows the callbacks."""
        self.state = OutboxState.submitted
        self.twilio_sid = self.twilio_sid or twilio_sid
        self.delivery_status = merge_status(self.delivery_status, status or "queued")
        self.submitted_at = now
        self.body_sealed = None
        self.unsure_since = None
        self._release(now)

    def retry_at(self, moment: datetime, now: datetime, *, unsure: bool = False) -> None:
        """Try again at `moment`. `unsure`: no answer came (a timeout), so Twilio may have the SMS."""
        if not unsure:
            self.unsure_since = None
        self.state = OutboxState.pending
        self.next_attempt_at = moment
        self._release(now)

    def failed(self, reason: str, error_code: int | None, now: datetime) -> None:
        self.state = OutboxState.failed
        self.unsure_since = None
        self.body_sealed = None
        self.error_code = error_code
        self.reason = reason
        self._release(now)

    def record_status(self, report: StatusReport, now: datetime) -> None:
        """Merge a status callback by rank, so callbacks may arrive in any order."""
        self.twilio_sid = report.message_sid
        merged = merge_status(self.delivery_status, report.status)
        if merged != self.delivery_status:
            self.delivery_status = merged
            if merged == report.status and report.error_code:
                self.error_code = report.error_code
        self.updated_at = now

    def _release(self, now: datetime | None = None) -> None:
        self.claim = None
        self.lease_until = None
        if now is not None:
            self.updated_at = now


class SmsSenderPace(Base):
    """The next moment each of our numbers may send: pacing shared by every worker process."""

    __tablename__ = "sms_sender_pace"

    sender_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_at: Mapped[datetime]


def new_claim() -> str:
    return uuid.uuid4().hex


def as_payloads(values: Any) -> list[str]:
    return [str(v) for v in values] if isinstance(values, list) else []
