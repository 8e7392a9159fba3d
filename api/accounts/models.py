"""A person who signs in to the console: one account per caseworker, team lead, admin or data-protection
officer. Each owns a principal row (its `principal_id`), so the audit trail, leases and everything that
names a principal names the person. The principal row's token is random and never shown: a person signs
in with a password and a TOTP code, never with a bearer token."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from api.kit.models import Base, CreatedAtMixin, EnumText, IdMixin
from api.principal.models import PrincipalKind


class AccountRole(StrEnum):
    caseworker = "caseworker"
    team_lead = "team_lead"
    admin = "admin"
    data_protection = "data_protection"


# What each role is to the rest of the api (deny by default: a role not here has no principal kind).
ROLE_KIND: dict[AccountRole, PrincipalKind] = {
    AccountRole.caseworker: PrincipalKind.provider,
    AccountRole.team_lead: PrincipalKind.provider,
    AccountRole.admin: PrincipalKind.admin,
    AccountRole.data_protection: PrincipalKind.data_protection,
}

USERNAME_LENGTH = 64


class Account(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "account"

    principal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principal.id"), unique=True)
    username: Mapped[str] = mapped_column(String(USERNAME_LENGTH), unique=True)
    role: Mapped[AccountRole] = mapped_column(EnumText(AccountRole, 16))
    # argon2id, with its parameters and salt (argon2-cffi's encoded form).
    password_hash: Mapped[str] = mapped_column(String(200))
    # The TOTP secret, sealed by the vault (bound to the account's id); never shown after creation/reset.
    totp_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # The last TOTP time step accepted: a code is good once (no replay within its window).
    totp_last_step: Mapped[int | None] = mapped_column(default=None)
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(default=None)
