"""Signed-in sessions of the agency form: server-side, short-lived, in this process's memory.

An agency user pastes their agency token once; the server checks it (an agency principal, not revoked) and
keeps a session: an opaque random id in an HttpOnly, Secure, SameSite=Strict cookie scoped to /refer,
signed with a key derived from BLIND_INDEX_KEY, so a forged or altered cookie is refused before any
lookup. A session ends after IDLE minutes without a request, after MAX_AGE in any case, at sign-out, and
when its principal's token is revoked (checked on every request). The token itself is never kept.

Every POST carries the session's CSRF token (a hidden field) and is refused without it; the sign-in page,
which has no session yet, uses a short-lived double-submit cookie instead.

Kept in memory: one api process (`make run`) or sticky sessions behind a load balancer. Several api
processes without stickiness need a shared store (a table) — a later change; a lost session only means
signing in again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import hash_token
from api.deps import Session
from api.kit.models import utcnow
from api.principal.models import Principal, PrincipalKind

COOKIE = "refer_session"
PRE_COOKIE = "refer_sign_in"
COOKIE_PATH = "/refer"
IDLE = timedelta(minutes=30)
MAX_AGE = timedelta(hours=8)
PRE_MAX_AGE = timedelta(minutes=15)
MAX_SESSIONS = 10_000


@dataclass
class FormSession:
    id: str
    principal_id: uuid.UUID
    name: str
    csrf: str
    created_at: datetime
    seen_at: datetime
    # Submissions already made from this session (form nonce -> reference): a double click or a refresh
    # shows the first confirmation and never makes a second referral.
    submitted: dict[str, str] = field(default_factory=dict)
    # The principal's own attribute (set by an admin), refreshed on every request.
    may_refer_without_consent: bool = False


class SessionStore:
    def __init__(self, secret: bytes) -> None:
        self._key = hmac.new(secret, b"agency-form-session-v1", hashlib.sha256).digest()
        self._sessions: dict[str, FormSession] = {}

    def sign(self, value: str) -> str:
        mac = hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()[:32]
        return f"{value}.{mac}"

    def unsign(self, signed: str | None) -> str | None:
        if not signed or "." not in signed:
            return None
        value, _ = signed.rsplit(".", 1)
        return value if hmac.compare_digest(self.sign(value), signed) else None

    def open(self, principal: Principal, now: datetime) -> FormSession:
        self._expire(now)
        if len(self._sessions) >= MAX_SESSIONS:
            oldest = min(self._sessions.values(), key=lambda s: s.seen_at)
            self._sessions.pop(oldest.id, None)
        session = FormSession(
            id=secrets.token_urlsafe(32),
            principal_id=principal.id,
            name=principal.name,
            csrf=secrets.token_urlsafe(32),
            created_at=now,
            seen_at=now,
        )
        self._sessions[session.id] = session
        return session

    def find(self, cookie: str | None, now: datetime) -> FormSession | None:
        session_id = self.unsign(cookie)
        session = self._sessions.get(session_id) if session_id else None
        if session is None:
            return None
        if now - session.seen_at > IDLE or now - session.created_at > MAX_AGE:
            self._sessions.pop(session.id, None)
            return None
        session.seen_at = now
        return session

    def close(self, session: FormSession) -> None:
        self._sessions.pop(session.id, None)

    def _expire(self, now: datetime) -> None:
        for stale in [
            s for s in self._sessions.values() if now - s.seen_at > IDLE or now - s.created_at > MAX_AGE
        ]:
            self._sessions.pop(stale.id, None)


def store_of(request: Request) -> SessionStore:
    store: SessionStore | None = getattr(request.app.state, "agency_form_sessions", None)
    if store is None:
        secret = request.app.state.settings.blind_index_key.get_secret_value().encode()
        store = SessionStore(secret)
        request.app.state.agency_form_sessions = store
    return store


def set_cookie(response: Response, name: str, value: str, max_age: timedelta) -> None:
    response.set_cookie(
        name,
        value,
        max_age=int(max_age.total_seconds()),
        path=COOKIE_PATH,
        secure=True,
        httponly=True,
        samesite="strict",
    )


def clear_cookie(response: Response, name: str) -> None:
    response.delete_cookie(name, path=COOKIE_PATH, secure=True, httponly=True, samesite="strict")


class SignInRequired(Exception):
    """No live session: the page answers with a redirect to the sign-in page."""


async def agency_principal(session: AsyncSession, token: str) -> Principal | None:
    """The principal a pasted token names, if any and not revoked (any kind: the caller decides)."""
    row: Principal | None = await session.scalar(
        select(Principal).where(Principal.token_hash == hash_token(token.strip()))
    )
    return row if row is not None and row.active(utcnow()) else None


def signed_in(*kinds: PrincipalKind) -> Any:
    """A dependency admitting only a live form session of one of `kinds` (the form's `allow(...)`): the
    access-rule tests read `allowed_kinds` as they do for bearer-token routes."""

    async def _check(request: Request, db: Session) -> FormSession:
        now = utcnow()
        found = store_of(request).find(request.cookies.get(COOKIE), now)
        if found is None:
            raise SignInRequired()
        row = await db.get(Principal, found.principal_id)
        if row is None or not row.active(now) or PrincipalKind(row.kind) not in kinds:
            store_of(request).close(found)
            raise SignInRequired()
        found.may_refer_without_consent = row.may_refer_without_consent  # as the admin set it now
        return found

    _check.allowed_kinds = frozenset(kinds)  # type: ignore[attr-defined]  # read by the access-rule test
    return Depends(_check)


AgencyUser = Annotated[FormSession, signed_in(PrincipalKind.agency)]


def csrf_ok(expected: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(expected.encode(), (sent or "").encode())
