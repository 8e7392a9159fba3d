"""Principals and the dependencies that admit them. Deny by default: every route names who may call it.

Tokens are random 256-bit bearer tokens; only their SHA-256 is stored. The bot service's token is a setting
(it is shared by Rasa's NLG calls and the action server); all others are rows of `principal`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.db import session_dependency
from api.errors import Forbidden, Unauthenticated
from api.principal.models import Principal, PrincipalKind

BOT_PRINCIPAL_ID = uuid.UUID(int=1)


@dataclass(frozen=True)
class Caller:
    id: uuid.UUID
    kind: PrincipalKind
    name: str
    queues: frozenset[str] = field(default_factory=frozenset)

    @property
    def key(self) -> str:
        return str(self.id)


def new_token() -> str:
    return "srt_" + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated()
    return token.strip()


async def current_caller(
    request: Request, session: Annotated[AsyncSession, Depends(session_dependency)]
) -> Caller:
    token = _bearer(request)
    settings: Settings = request.app.state.settings
    if hmac.compare_digest(token.encode(), settings.bot_service_token.get_secret_value().encode()):
        return Caller(BOT_PRINCIPAL_ID, PrincipalKind.bot, "bot service")
    row = await session.scalar(select(Principal).where(Principal.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        raise Unauthenticated()
    return Caller(row.id, PrincipalKind(row.kind), row.name, frozenset(row.queues))


def allow(*kinds: PrincipalKind) -> object:
    """A dependency admitting only the given kinds of principal."""

    async def _check(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        if caller.kind not in kinds:
            raise Forbidden()
        return caller

    _check.allowed_kinds = frozenset(kinds)  # type: ignore[attr-defined]  # read by the access-rule test
    return Depends(_check)


BotCaller = Annotated[Caller, allow(PrincipalKind.bot)]
ProviderCaller = Annotated[Caller, allow(PrincipalKind.provider)]
AdminCaller = Annotated[Caller, allow(PrincipalKind.admin)]
ReferrerCaller = Annotated[Caller, allow(PrincipalKind.bot, PrincipalKind.agency)]
AnyCaller = Annotated[
    Caller, allow(PrincipalKind.bot, PrincipalKind.agency, PrincipalKind.provider, PrincipalKind.admin)
]
