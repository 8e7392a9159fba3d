"""Per-case data keys (crypto-shredding of append-only records), stored wrapped by the vault."""

from __future__ import annotations

import uuid

from sqlalchemy import LargeBinary, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.kit.models import Base, CreatedAtMixin


class CaseKey(CreatedAtMixin, Base):
    """One random 32-byte key per referral, sealed by the vault (`wrapped`). Values sealed with it (the
    consent receipt's referrer) open only while this row exists: deleting it erases them without touching
    the append-only receipt. Deliberately no foreign keys: the key is destroyed before or after its referral
    is deleted, and a receipt (which outlives both) finds it by `consent_receipt_id`."""

    __tablename__ = "case_key"

    referral_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    # The grant receipt the case was made with: a receipt (grant or its withdrawal) finds its key by it.
    consent_receipt_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
