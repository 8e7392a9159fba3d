"""Signed-in browser sessions of the console and the agency form, in the database (api/web/sessions.py).

A row is found by a hash of the session id, never the id itself: whoever reads the table (a backup, a
replica) cannot take over a session. No personal data: the subject is an account or principal id, `data`
holds only the page language and, for the agency form, which submissions this session already made
(form nonce -> case reference)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.kit.models import Base, CreatedAtMixin, EnumText


class Surface(StrEnum):
    """Which pages a session is for: a console cookie never opens an agency-form session, nor the reverse."""

    console = "console"
    agency_form = "agency_form"


class WebSession(CreatedAtMixin, Base):
    __tablename__ = "web_session"
    __table_args__ = (Index("ix_web_session_surface_subject", "surface", "subject_id"),)

    # SHA-256 of the random session id (hex); the id itself lives only in the person's cookie.
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    surface: Mapped[Surface] = mapped_column(EnumText(Surface, 16))
    # The console's account id, or the agency form's principal id.
    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # Every POST of the session carries it (a hidden field), compared in constant time.
    csrf: Mapped[str] = mapped_column(String(64))
    # Idle limit: moved on by requests (at most once a minute); absolute limit: fixed at sign-in.
    idle_until: Mapped[datetime] = mapped_column(index=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    @property
    def locale(self) -> str | None:
        value = (self.data or {}).get("locale")
        return str(value) if value is not None else None

    @locale.setter
    def locale(self, value: str | None) -> None:
        if self.locale != value:
            self.data = {**(self.data or {}), "locale": value}  # a new dict: the change is flushed
