"""Principals and the dependencies that admit them. Deny by default: every route names who may call it.

Tokens are random 256-bit bearer tokens; only their SHA-256 is stored. The bot service's token is a setting
(it is shared by Rasa's NLG calls and the action server); all others are rows of `principal`.

The access rule of a route is one of exactly two things, both declared on the route itself:

- a caller parameter made by `allow(...)` (the `*Caller` aliases below), which admits only those kinds of
  principal: `async def f(caller: ProviderCaller)`. A missing or wrong token is 401, another kind 403;
  finer rules (a provider's own queues, an agency's own referrals) live in the feature's service, and a case
  the caller may not see is a 404 exactly like a missing one.
- `dependencies=[public("why")]` on the route, for what the public reaches without an account by design
  (liveness, the web chat). The reason is required and shows in review.

tests/api/test_access_rules.py walks every route of `create_app()` and fails on a route with neither (so a
forgotten rule never ships open), and tests/api/test_access_matrix.py calls every route as every kind of
principal against an explicit table. FastAPI's own documentation routes (/openapi.json, /docs, /redoc) are
the only other public paths; the rule test names them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from api.deps import AppSettings, ReadSessions
from api.errors import Forbidden, Unauthenticated
from api.kit.models import utcnow
from api.principal.models import Principal, PrincipalKind

BOT_PRINCIPAL_ID = uuid.UUID(int=1)


@dataclass(frozen=True)
class Caller:
    id: uuid.UUID
    kind: PrincipalKind
    name: str
    queues: frozenset[str] = field(default_factory=frozenset)
    # Set by an admin on the principal (api/principal/models.py): never asserted by a request.
    may_refer_without_consent: bool = False

    @property
    def key(self) -> str:
        return str(self.id)


# Operator commands (`python -m api …`) act with shell access to the server, not a token; the audit trail
# names them as this principal.
OPERATOR = Caller(uuid.UUID(int=2), PrincipalKind.admin, "operator command")


def new_token() -> str:
    return "srt_" + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Declares the bearer scheme in the OpenAPI document; our own error, not FastAPI's, answers a missing token.
_bearer_scheme = HTTPBearer(
    auto_error=False, description="A principal's token, or the bot service's token (see README)."
)


def _bearer(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or not credentials.credentials.strip():
        raise Unauthenticated()
    return credentials.credentials.strip()


async def current_caller(
    reads: ReadSessions,
    settings: AppSettings,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_scheme)],
) -> Caller:
    """Who is calling. The token is looked up in a read-only transaction of its own, before the request's
    (so on SQLite a token check never takes or waits for the write lock), and committed state is what it
    reads: a token revoked or expired before the request began is refused."""
    token = _bearer(credentials)
    if hmac.compare_digest(token.encode(), settings.bot_service_token.get_secret_value().encode()):
        return Caller(BOT_PRINCIPAL_ID, PrincipalKind.bot, "bot service")
    async with reads() as session, session.begin():
        row = await session.scalar(select(Principal).where(Principal.token_hash == hash_token(token)))
    # Wrong, revoked and expired tokens are refused alike: the answer says nothing about which.
    if row is None or not row.active(utcnow()):
        raise Unauthenticated()
    return Caller(
        row.id,
        PrincipalKind(row.kind),
        row.name,
        frozenset(row.queues),
        may_refer_without_consent=row.may_refer_without_consent,
    )


def allow(*kinds: PrincipalKind) -> object:
    """A dependency admitting only the given kinds of principal."""

    async def _check(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        if caller.kind not in kinds:
            raise Forbidden()
        return caller

    _check.allowed_kinds = frozenset(kinds)  # type: ignore[attr-defined]  # read by the access-rule test
    return Depends(_check)


def public(why: str) -> Any:
    """Mark one route as open to anyone, without a token: `dependencies=[public("why")]` on the route."""
    if not why.strip():
        raise ValueError("a public route needs its reason")

    async def _public() -> None:
        return None

    _public.public_reason = why  # type: ignore[attr-defined]  # read by the access-rule test
    return Depends(_public)


BotCaller = Annotated[Caller, allow(PrincipalKind.bot)]
ProviderCaller = Annotated[Caller, allow(PrincipalKind.provider)]
AdminCaller = Annotated[Caller, allow(PrincipalKind.admin)]
DataProtectionCaller = Annotated[Caller, allow(PrincipalKind.data_protection)]
ReferrerCaller = Annotated[Caller, allow(PrincipalKind.bot, PrincipalKind.agency)]
# Who may read a case at all (the service then narrows it to the cases each may see). Not the bot: it hands
# cases over and never reads them back.
CaseReaderCaller = Annotated[Caller, allow(PrincipalKind.agency, PrincipalKind.provider, PrincipalKind.admin)]
AnyCaller = Annotated[
    Caller, allow(PrincipalKind.bot, PrincipalKind.agency, PrincipalKind.provider, PrincipalKind.admin)
]
