"""A conversation with the bot, on any channel. The id is an unguessable token, the Rasa sender id."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, false
from sqlalchemy.orm import Mapped, mapped_column

from api.kit.models import Base, CreatedAtMixin


class Channel(StrEnum):
    web_chat = "web_chat"
    sms = "sms"


class LanguageSource(StrEnum):
    """How the conversation's language was set."""

    default = "default"  # nobody chose it yet
    detected = "detected"  # from the first message
    chosen = "chosen"  # the person picked it (the web page's picker, a named language, the menu)


class Conversation(CreatedAtMixin, Base):
    __tablename__ = "conversation"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    language_source: Mapped[str] = mapped_column(
        String(8), default=LanguageSource.default, server_default=LanguageSource.default.value
    )
    # The last reply offered the language menu, so a bare number answers it.
    language_menu_open: Mapped[bool] = mapped_column(default=False, server_default=false())
    last_message_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    # When disposal last deleted its Rasa transcript (api/retention): a later message makes it due again.
    transcript_purged_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def language_chosen(self) -> bool:
        return self.language_source == LanguageSource.chosen

    def reopen(self) -> None:
        """A channel whose conversations never end for good (SMS: the same number texts again)."""
        self.ended_at = None

    def end(self, now: datetime) -> None:
        if self.ended_at is None:
            self.ended_at = now
