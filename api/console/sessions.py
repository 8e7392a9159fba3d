"""Signed-in console sessions: server-side, idle-limited, in this process's memory.

A person signs in with username, password and a TOTP code (api/accounts/service.py). The session is an
opaque random id in an HttpOnly, SameSite=Strict cookie scoped to /console, Secure outside development,
signed with a key derived from BLIND_INDEX_KEY (a forged cookie is refused before any lookup). It ends
after CONSOLE_IDLE_MINUTES without a request, after MAX_AGE in any case, at sign-out, and as soon as the
account is disabled (checked on every request, with its role and queues read afresh). Every POST carries
the session's CSRF token; the sign-in page uses a short-lived double-submit cookie.

In memory, like the agency form's sessions: one api process, or sticky sessions. Several processes need
a shared store (a table) — a later change; a lost session only means signing in again.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from api.accounts import service as accounts
from api.accounts.models import ROLE_KIND, AccountRole
from api.accounts.service import Person
from api.config import Environment
from api.deps import Session
from api.kit.models import utcnow

COOKIE = "console_session"
PRE_COOKIE = "console_sign_in"
COOKIE_PATH = "/console"
DEFAULT_IDLE_MINUTES = 20
MAX_AGE = timedelta(hours=10)
PRE_MAX_AGE = timedelta(minutes=15)
MAX_SESSIONS = 10_000


def idle_limit() -> timedelta:
    """CONSOLE_IDLE_MINUTES (default 20), read when the store is made."""
    try:
        minutes = int(os.environ.get("CONSOLE_IDLE_MINUTES", DEFAULT_IDLE_MINUTES))
    except ValueError:
        minutes = DEFAULT_IDLE_MINUTES
    return timedelta(minutes=max(1, min(minutes, 240)))


@dataclass
class ConsoleSession:
    id: str
    account_id: uuid.UUID
    csrf: str
    created_at: datetime
    seen_at: datetime
    locale: str | None = None  # the language the person chose for the console


class SessionStore:
    def __init__(self, secret: bytes, idle: timedelta) -> None:
        self._key = hmac.new(secret, b"console-session-v1", hashlib.sha256).digest()
        self._sessions: dict[str, ConsoleSession] = {}
        self.idle = idle

    def sign(self, value: str) -> str:
        mac = hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()[:32]
        return f"{value}.{mac}"

    def unsign(self, signed: str | None) -> str | None:
        if not signed or "." not in signed:
            return None
        value, _ = signed.rsplit(".", 1)
        return value if hmac.compare_digest(self.sign(value), signed) else None

    def _stale(self, session: ConsoleSession, now: datetime) -> bool:
        return now - session.seen_at > self.idle or now - session.created_at > MAX_AGE

    def open(self, account_id: uuid.UUID, now: datetime) -> ConsoleSession:
        for stale in [s for s in self._sessions.values() if self._stale(s, now)]:
            self._sessions.pop(stale.id, None)
        if len(self._sessions) >= MAX_SESSIONS:
            oldest = min(self._sessions.values(), key=lambda s: s.seen_at)
            self._sessions.pop(oldest.id, None)
        session = ConsoleSession(secrets.token_urlsafe(32), account_id, secrets.token_urlsafe(32), now, now)
        self._sessions[session.id] = session
        return session

    def find(self, cookie: str | None, now: datetime) -> ConsoleSession | None:
        session_id = self.unsign(cookie)
        session = self._sessions.get(session_id) if session_id else None
        if session is None:
            return None
        if self._stale(session, now):
            self._sessions.pop(session.id, None)
            return None
        session.seen_at = now
        return session

    def close(self, session: ConsoleSession) -> None:
        self._sessions.pop(session.id, None)

    def close_account(self, account_id: uuid.UUID) -> None:
        for session in [s for s in self._sessions.values() if s.account_id == account_id]:
            self._sessions.pop(session.id, None)


def store_of(request: Request) -> SessionStore:
    store: SessionStore | None = getattr(request.app.state, "console_sessions", None)
    if store is None:
        secret = request.app.state.settings.blind_index_key.get_secret_value().encode()
        store = SessionStore(secret, idle_limit())
        request.app.state.console_sessions = store
    return store


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: timedelta) -> None:
    response.set_cookie(
        name,
        value,
        max_age=int(max_age.total_seconds()),
        path=COOKIE_PATH,
        secure=request.app.state.settings.app_env != Environment.development,
        httponly=True,
        samesite="strict",
    )


def clear_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(
        name,
        path=COOKIE_PATH,
        secure=request.app.state.settings.app_env != Environment.development,
        httponly=True,
        samesite="strict",
    )


class ConsoleSignInRequired(Exception):
    """No live console session: the page answers with a redirect to the console's sign-in page."""


class ConsoleForbidden(Exception):
    """Signed in, but this page is not for the person's role: a 403 page (with the person's header, so
    they can still sign out)."""

    def __init__(self, signed: SignedIn) -> None:
        super().__init__("not for this role")
        self.signed = signed


@dataclass(frozen=True)
class SignedIn:
    session: ConsoleSession
    person: Person

    @property
    def csrf(self) -> str:
        return self.session.csrf


def signed_in(*roles: AccountRole) -> Any:
    """A dependency admitting only a live console session of one of `roles` (the console's `allow(...)`):
    the access-rule tests read `allowed_kinds` as they do for bearer-token routes."""

    async def _check(request: Request, db: Session) -> SignedIn:
        store = store_of(request)
        found = store.find(request.cookies.get(COOKIE), utcnow())
        if found is None:
            raise ConsoleSignInRequired()
        person = await accounts.person_of(db, found.account_id)
        if person is None:
            store.close(found)
            raise ConsoleSignInRequired()
        signed = SignedIn(found, person)
        if person.role not in roles:
            raise ConsoleForbidden(signed)
        return signed

    _check.allowed_kinds = frozenset(ROLE_KIND[r] for r in roles)  # type: ignore[attr-defined]
    _check.allowed_roles = frozenset(roles)  # type: ignore[attr-defined]
    return Depends(_check)


ALL_ROLES = tuple(AccountRole)
CaseworkerOrLead = Annotated[SignedIn, signed_in(AccountRole.caseworker, AccountRole.team_lead)]
TeamLead = Annotated[SignedIn, signed_in(AccountRole.team_lead)]
Admin = Annotated[SignedIn, signed_in(AccountRole.admin)]
AnyPerson = Annotated[SignedIn, signed_in(*ALL_ROLES)]


def csrf_ok(expected: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(expected.encode(), (sent or "").encode())
