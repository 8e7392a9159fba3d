"""Alerts: what a team must see now (an emergency case, a safeguarding flag, a call-back window about to
start, a deadline about to be missed). Raised by the worker, once per (case, queue, kind); shown in the
console; e-mailed to the team's address (reference and link only)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.kit.models import Base, CreatedAtMixin, EnumText, IdMixin
from api.triage.schemas import Queue


class AlertKind(StrEnum):
    emergency = "emergency"
    safeguarding = "safeguarding"
    callback_window = "callback_window"
    deadline = "deadline"


class Alert(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "alert"
    __table_args__ = (UniqueConstraint("entry_id", "kind", name="uq_alert_entry_kind"),)

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referral.id"), index=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("queue_entry.id"))
    queue: Mapped[Queue] = mapped_column(EnumText(Queue, 32), index=True)
    kind: Mapped[AlertKind] = mapped_column(EnumText(AlertKind, 24))
    # The moment it is about (the window's start, the deadline); None for emergency and safeguarding.
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    emailed_at: Mapped[datetime | None] = mapped_column(default=None)
    # Acknowledged by a caseworker or team lead of the queue (who and when; audited too): the alert leaves
    # the "needs attention" list, and is never e-mailed (again).
    cleared_at: Mapped[datetime | None] = mapped_column(default=None)
    cleared_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"), default=None)


class TeamAddress(Base):
    """Where a queue's alerts are e-mailed (a team mailbox, not a person's)."""

    __tablename__ = "team_address"

    queue: Mapped[Queue] = mapped_column(EnumText(Queue, 32), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
