"""One code sent to a referral's number: kept only as a keyed hash, with its expiry and attempts."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from api.kit.models import Base, CreatedAtMixin, EnumText, IdMixin


class CheckState(StrEnum):
    sent = "sent"  # waiting for the person to type it
    verified = "verified"  # typed right: the number is the person's
    failed = "failed"  # too many wrong codes: the number stays unverified
    expired = "expired"  # typed after its expiry
    replaced = "replaced"  # a newer code was sent


class PhoneCheck(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "phone_check"

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referral.id"), index=True)
    # HMAC of "<id>:<code>" with the blind index key (api/phone_check/service.py): a six-digit code is
    # never kept, and its hash cannot be reversed by trying every code without the key.
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    state: Mapped[CheckState] = mapped_column(EnumText(CheckState, 16), default=CheckState.sent)
    # The SMS that carries the code (api/sms outbox): whether it was sent, withheld or failed is its own.
    outbound_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    settled_at: Mapped[datetime | None] = mapped_column(default=None)
