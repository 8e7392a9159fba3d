"""A conversation with the bot, on any channel. The id is an unguessable token, the Rasa sender id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, false
from sqlalchemy.orm import Mapped, mapped_column

from api.kit.models import Base, CreatedAtMixin


class Conversation(CreatedAtMixin, Base):
    __tablename__ = "conversation"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    # How the language was set: "default" (nobody chose), "detected" (from the first message), "chosen".
    language_source: Mapped[str] = mapped_column(String(8), default="default", server_default="default")
    # The last reply offered the language menu, so a bare number answers it.
    language_menu_open: Mapped[bool] = mapped_column(default=False, server_default=false())
    last_message_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
