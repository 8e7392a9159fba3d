"""Consent receipts (append-only) and the exact wordings they point at."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.kit.models import Base, CreatedAtMixin, IdMixin


class ConsentWording(CreatedAtMixin, Base):
    """Every consent text ever shown, keyed by the SHA-256 of the exact text: the wording version."""

    __tablename__ = "consent_wording"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)


class ConsentReceipt(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "consent_receipt"

    kind: Mapped[str] = mapped_column(String(16))  # grant | withdrawal
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("consent_receipt.id"), default=None)
    lawful_basis: Mapped[str] = mapped_column(String(32))
    purposes: Mapped[list[str]] = mapped_column(JSON)
    wording_versions: Mapped[list[str]] = mapped_column(JSON)
    language: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(16))
    given_by: Mapped[str] = mapped_column(String(32))
    given_at: Mapped[datetime]
    conversation_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # The referrer's name, organisation and contact when an agency attests consent (personal data).
    referrer_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
