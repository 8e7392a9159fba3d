"""Who may call the api: providers (their queues only), agencies, admins, the data-protection role. The
bot's token is a setting."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, String, false
from sqlalchemy.orm import Mapped, mapped_column

from api.kit.models import Base, CreatedAtMixin, IdMixin


class PrincipalKind(StrEnum):
    provider = "provider"
    agency = "agency"
    admin = "admin"
    bot = "bot"
    # The data-protection officer: finds, exports, rectifies and erases what is held about a person
    # (api/rights). Kept apart from admin on purpose (separation of duties): an admin cannot do these.
    data_protection = "data_protection"


class Principal(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "principal"

    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    queues: Mapped[list[str]] = mapped_column(JSON, default=list)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    # After this the token is refused like a wrong one (None: no expiry). `principal rotate` renews it.
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    # An agency whose referrers act on safeguarding concerns (a designated safeguarding lead, social
    # workers, police) may refer without the person's consent. Set by an admin (`principal update`), never
    # by what a request says about itself.
    may_refer_without_consent: Mapped[bool] = mapped_column(default=False, server_default=false())

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)
