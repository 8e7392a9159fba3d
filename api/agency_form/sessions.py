"""Signed-in sessions of the agency form: the shared browser sessions (api/web/sessions.py, in the
database) with the form's own rule on top.

An agency user pastes their agency token once; the server checks it (an agency principal, not revoked) and
opens a session whose cookie is scoped to /refer, always Secure. It ends after AGENCY_FORM_IDLE_MINUTES
without a request, after AGENCY_FORM_SESSION_HOURS in any case, at sign-out, and when its principal's token
is revoked or expires (checked on every request). The token itself is never kept.

Every POST carries the session's CSRF token (a hidden field) and is refused without it; the sign-in page,
which has no session yet, uses a short-lived double-submit cookie instead.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import hash_token
from api.config import Settings
from api.deps import Session
from api.kit.models import utcnow
from api.principal.models import Principal, PrincipalKind
from api.web import sessions as web_sessions
from api.web.models import Surface, WebSession
from api.web.sessions import SessionStore

COOKIE = "refer_session"
PRE_COOKIE = "refer_sign_in"
COOKIE_PATH = "/refer"
PRE_MAX_AGE = timedelta(minutes=15)
# Submissions remembered per session (form nonce -> reference), newest kept.
MAX_SUBMITTED = 50


@dataclass(frozen=True)
class FormSession:
    """A live form session and its principal as read at the start of this request. Plain values, so a
    page can still be rendered after the request's transaction rolled back (a refused submission)."""

    row: WebSession
    principal_id: uuid.UUID
    name: str
    csrf: str
    # Submissions already made from this session (form nonce -> reference): a double click or a refresh
    # shows the first confirmation and never makes a second referral.
    submitted: dict[str, str]
    # The principal's own attribute (set by an admin), as it is now.
    may_refer_without_consent: bool = False

    @classmethod
    def of(cls, row: WebSession, principal: Principal) -> FormSession:
        return cls(
            row,
            row.subject_id,
            principal.name,
            row.csrf,
            dict((row.data or {}).get("submitted") or {}),
            principal.may_refer_without_consent,
        )

    def remember(self, nonce: str, reference: str) -> None:
        """Record a submission on the session's row (in the request's transaction)."""
        submitted = dict((self.row.data or {}).get("submitted") or {})
        kept = list(submitted.items())[-(MAX_SUBMITTED - 1) :]
        self.row.data = {**(self.row.data or {}), "submitted": {**dict(kept), nonce: reference}}
        self.submitted[nonce] = reference


def policy_of(settings: Settings) -> web_sessions.Policy:
    return web_sessions.Policy(
        surface=Surface.agency_form,
        cookie=COOKIE,
        pre_cookie=PRE_COOKIE,
        path=COOKIE_PATH,
        idle=timedelta(minutes=settings.agency_form_idle_minutes),
        max_age=timedelta(hours=settings.agency_form_session_hours),
        secure=True,
        pre_max_age=PRE_MAX_AGE,
    )


def _make(settings: Settings) -> SessionStore:
    return SessionStore(
        settings.blind_index_key.get_secret_value().encode(), b"agency-form-session-v1", policy_of(settings)
    )


def store_of(request: Request) -> SessionStore:
    return web_sessions.store_of(request, "agency_form_sessions", _make)


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
        store = store_of(request)
        found = await store.find(db, request.cookies.get(COOKIE), now)
        row = None if found is None else await db.get(Principal, found.subject_id)
        if found is None or row is None or not row.active(now) or PrincipalKind(row.kind) not in kinds:
            if found is not None:
                await store.close(db, found)
            # The redirect is raised, which rolls the request back: keep the expired or closed row's
            # deletion (nothing else has happened in this request yet).
            await db.commit()
            raise SignInRequired()
        return FormSession.of(found, row)

    _check.allowed_kinds = frozenset(kinds)  # type: ignore[attr-defined]  # read by the access-rule test
    return Depends(_check)


AgencyUser = Annotated[FormSession, signed_in(PrincipalKind.agency)]


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: timedelta) -> None:
    store_of(request).set_cookie(response, name, value, max_age)


def clear_cookie(request: Request, response: Response, name: str) -> None:
    store_of(request).clear_cookie(response, name)


csrf_ok = web_sessions.csrf_ok
