"""Signed-in browser sessions, shared by the console (/console) and the agency form (/refer).

One rule for both, kept in the database (`web_session`), so every api process behind a load balancer
honours a session any of them opened, and a restart signs nobody out:

- The session id is 32 random bytes in an HttpOnly, SameSite=Strict cookie scoped to the surface's path
  (Secure as the surface says), signed with a key derived from BLIND_INDEX_KEY and the surface: a forged or
  altered cookie is refused before any lookup. The table keeps only the SHA-256 of the id.
- Each session has a CSRF token that every POST carries; a sign-in page, which has no session yet, uses a
  short-lived double-submit cookie signed the same way (`sign`/`unsign`).
- A session ends after the surface's idle limit without a request, after its absolute lifetime in any case,
  at sign-out (the row is deleted), and when the surface's own check fails (a disabled account, a revoked
  token: the caller closes it). Requests move the idle limit on at most once a minute (a read need not write
  every time), so a session may end up to a minute early, never late.
- Expired rows are deleted when found, at every sign-in, and by the worker each round (`purge`).

Reads and writes run in the request's own transaction (`api.deps.Session`); nothing is committed here.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import delete, or_
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.web.models import Surface, WebSession

# How often a request moves the idle limit on, at most (smaller for an idle limit under ten minutes).
TOUCH_EVERY = timedelta(minutes=1)


def id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass(frozen=True)
class Policy:
    """One surface's sessions: cookie names and path, limits, and whether cookies are always Secure."""

    surface: Surface
    cookie: str
    pre_cookie: str
    path: str
    idle: timedelta
    max_age: timedelta
    secure: bool
    pre_max_age: timedelta = timedelta(minutes=15)

    @property
    def touch_every(self) -> timedelta:
        return min(TOUCH_EVERY, self.idle / 10)


@dataclass(frozen=True)
class Opened:
    row: WebSession
    cookie: str  # the signed session id, for the cookie only; never stored


class SessionStore:
    """Sessions of one surface. Holds no state but its key and policy: any process can make one."""

    def __init__(self, secret: bytes, label: bytes, policy: Policy) -> None:
        self._key = hmac.new(secret, label, hashlib.sha256).digest()
        self.policy = policy

    # --- cookies ------------------------------------------------------------------------------------------

    def sign(self, value: str) -> str:
        mac = hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()[:32]
        return f"{value}.{mac}"

    def unsign(self, signed: str | None) -> str | None:
        if not signed or "." not in signed or len(signed) > 200:
            return None
        value, _ = signed.rsplit(".", 1)
        return value if hmac.compare_digest(self.sign(value), signed) else None

    def set_cookie(self, response: Response, name: str, value: str, max_age: timedelta) -> None:
        response.set_cookie(
            name,
            value,
            max_age=int(max_age.total_seconds()),
            path=self.policy.path,
            secure=self.policy.secure,
            httponly=True,
            samesite="strict",
        )

    def clear_cookie(self, response: Response, name: str) -> None:
        response.delete_cookie(
            name, path=self.policy.path, secure=self.policy.secure, httponly=True, samesite="strict"
        )

    # --- sessions -----------------------------------------------------------------------------------------

    async def open(
        self, db: AsyncSession, subject_id: uuid.UUID, now: datetime, data: dict[str, Any] | None = None
    ) -> Opened:
        """A new session for `subject_id` (expired rows of every surface are purged first)."""
        await purge(db, now)
        session_id = secrets.token_urlsafe(32)
        row = WebSession(
            id_hash=id_hash(session_id),
            surface=self.policy.surface,
            subject_id=subject_id,
            csrf=secrets.token_urlsafe(32),
            created_at=now,
            idle_until=now + self.policy.idle,
            expires_at=now + self.policy.max_age,
            data=dict(data or {}),
        )
        db.add(row)
        await db.flush()
        return Opened(row, self.sign(session_id))

    async def find(self, db: AsyncSession, cookie: str | None, now: datetime) -> WebSession | None:
        """The live session a cookie names, its idle limit moved on; None (and the row gone if it had
        expired) otherwise."""
        session_id = self.unsign(cookie)
        if session_id is None:
            return None
        row = await db.get(WebSession, id_hash(session_id))
        if row is None or row.surface != self.policy.surface:
            return None
        if now >= row.idle_until or now >= row.expires_at:
            await self.close(db, row)
            return None
        if row.idle_until - now <= self.policy.idle - self.policy.touch_every:
            row.idle_until = now + self.policy.idle
        return row

    async def close(self, db: AsyncSession, row: WebSession) -> None:
        await db.delete(row)
        await db.flush()

    async def close_subject(self, db: AsyncSession, subject_id: uuid.UUID) -> int:
        """End every session of one account or principal (disabled, reset, revoked)."""
        result = await db.execute(
            delete(WebSession).where(
                WebSession.surface == self.policy.surface, WebSession.subject_id == subject_id
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


async def purge(db: AsyncSession, now: datetime) -> int:
    """Delete every expired session (idle or absolute limit passed). Returns how many."""
    result = await db.execute(
        delete(WebSession)
        .where(or_(WebSession.idle_until <= now, WebSession.expires_at <= now))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def store_of(request: Request, name: str, make: Callable[[Settings], SessionStore]) -> SessionStore:
    """The app's store for one surface, made on first use from the running settings (`make(settings)`)."""
    store: SessionStore | None = getattr(request.app.state, name, None)
    if store is None:
        store = make(request.app.state.settings)
        setattr(request.app.state, name, store)
    return store


def csrf_ok(expected: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(expected.encode(), (sent or "").encode())
