"""The audit trail: append-only, hash-chained events of every read and change of a case."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.kit.models import Base


class AuditEvent(Base):
    __tablename__ = "audit_event"

    # Integer autoincrement on SQLite, BIGINT identity on PostgreSQL.
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime]
    principal_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    principal_kind: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    referral_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True, default=None)
    reason: Mapped[str] = mapped_column(String(200))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
