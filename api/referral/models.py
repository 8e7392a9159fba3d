"""A referral: the person (sealed), their answers (sealed), the triage decision and its inputs (sealed),
and in clear only what routing and ordering need (queue, tier, priority, deadline, flags)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.kit.models import Base, CreatedAtMixin, EnumText, IdMixin
from api.triage.schemas import Outcome, Priority, Queue, Tier


class Referral(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "referral"

    reference: Mapped[str] = mapped_column(String(16), unique=True)
    source: Mapped[str] = mapped_column(String(16))  # web_chat | sms | agency | police_feed
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"), default=None)
    conversation_id: Mapped[str | None] = mapped_column(String(64), default=None)
    language: Mapped[str] = mapped_column(String(8))
    consent_receipt_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consent_receipt.id"))
    person_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    answers_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    # The person's e-mail address by blind index (purpose "email", trimmed and lower-cased): how a subject
    # access request by e-mail finds the case without opening every sealed row (api/rights).
    email_index: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)

    # -- sealed special-category data (api/referral/service.py: triage_input_of, decision_of) --
    # The triage input and the decision as triage made it, whole (hate strands, vulnerabilities, DA red
    # flags, age, enhanced grounds, reasons…), sealed. The routing fields are kept in clear beside them.
    triage_input_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    decision_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # The source's own reference (the police crime reference), sealed; found by its blind index, unique, so
    # a case is never imported twice (api/referral/service.py: external_ref_index).
    external_ref_index: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    external_ref_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # In clear for the queue lists: the second queue and the decision's flags (routing codes; none names a
    # hate strand, a vulnerability or a DA red flag).
    secondary_queue: Mapped[Queue | None] = mapped_column(EnumText(Queue, 32), default=None)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # -- end of sealed special-category data --

    rules_version: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[Outcome] = mapped_column(EnumText(Outcome, 24))
    queue: Mapped[Queue | None] = mapped_column(EnumText(Queue, 32), default=None)
    tier: Mapped[Tier | None] = mapped_column(EnumText(Tier, 16), default=None)
    priority: Mapped[Priority] = mapped_column(EnumText(Priority, 16))
    emergency: Mapped[bool] = mapped_column(default=False)
    deadline: Mapped[datetime | None] = mapped_column(default=None)
    received_at: Mapped[datetime]
    # A call-back the person asked for in the chat while the service was open: the window they said is safe.
    callback_from: Mapped[datetime | None] = mapped_column(default=None)
    callback_until: Mapped[datetime | None] = mapped_column(default=None)

    # Retention (api/retention/policy.py): the class whose rule applies now, and the moment its clock
    # started (None while the rule waits for its event, e.g. "6 years from closure" of an open case); the
    # disposal date is `retention_from` + the class's period in settings. Set when the referral is stored,
    # re-set when it is taken up, closed or withdrawn. A legal hold keeps the case from disposal.
    retention_class: Mapped[str] = mapped_column(
        String(32), default="not_taken_up", server_default="not_taken_up", index=True
    )
    retention_from: Mapped[datetime | None] = mapped_column(default=None, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    legal_hold_at: Mapped[datetime | None] = mapped_column(default=None)
    legal_hold_reason: Mapped[str | None] = mapped_column(String(200), default=None)


# Disposal asks, for every conversation, whether a referral came of it (api/retention/disposal.py).
Index("ix_referral_conversation_id", Referral.conversation_id)


class DecisionVersion(IdMixin, CreatedAtMixin, Base):
    """A later triage decision of a case, kept beside the first (the referral's own `decision_sealed`, version
    1), never over it: a team lead re-triaged a returned case with a changed input (api/intake/retriage.py).
    The input and the decision are sealed whole, bound to the case and the version, like the first; the
    routing fields are in clear. `changed` names the input fields that changed (names only: the values are
    special-category data)."""

    __tablename__ = "decision_version"
    __table_args__ = (UniqueConstraint("referral_id", "version"),)

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referral.id"), index=True)
    version: Mapped[int]  # 2, 3, …
    # The returned queue entry this decision re-routed (its reason is the entry's `return_reason`).
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("queue_entry.id"), index=True)
    decided_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("principal.id"))
    decided_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(32))  # the return reason code it answers
    changed: Mapped[list[str]] = mapped_column(JSON, default=list)
    triage_input_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    decision_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    rules_version: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[Outcome] = mapped_column(EnumText(Outcome, 24))
    queue: Mapped[Queue | None] = mapped_column(EnumText(Queue, 32), default=None)
    secondary_queue: Mapped[Queue | None] = mapped_column(EnumText(Queue, 32), default=None)
    tier: Mapped[Tier | None] = mapped_column(EnumText(Tier, 16), default=None)
    priority: Mapped[Priority] = mapped_column(EnumText(Priority, 16))


class IdempotencyRecord(CreatedAtMixin, Base):
    """The first answer to a creating POST, replayed byte for byte for the same key and body."""

    __tablename__ = "idempotency_record"

    principal: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response_body: Mapped[bytes] = mapped_column(LargeBinary)
