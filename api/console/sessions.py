"""Signed-in console sessions: the shared browser sessions (api/web/sessions.py, in the database) with the
console's own rule on top.

A person signs in with username, password and a TOTP code (api/accounts/service.py). The session cookie is
scoped to /console, Secure outside development. It ends after CONSOLE_IDLE_MINUTES without a request, after
CONSOLE_SESSION_HOURS in any case, at sign-out, and as soon as the account is disabled or reset (checked on
every request, with its role and queues read afresh). Every POST carries the session's CSRF token; the
sign-in page uses a short-lived double-submit cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from api.accounts import service as accounts
from api.accounts.models import ROLE_KIND, AccountRole
from api.accounts.service import Person
from api.config import Environment, Settings
from api.deps import Session
from api.kit.models import utcnow
from api.web import sessions as web_sessions
from api.web.models import Surface, WebSession
from api.web.sessions import SessionStore

COOKIE = "console_session"
PRE_COOKIE = "console_sign_in"
COOKIE_PATH = "/console"
PRE_MAX_AGE = timedelta(minutes=15)
ConsoleSession = WebSession


def policy_of(settings: Settings) -> web_sessions.Policy:
    return web_sessions.Policy(
        surface=Surface.console,
        cookie=COOKIE,
        pre_cookie=PRE_COOKIE,
        path=COOKIE_PATH,
        idle=timedelta(minutes=settings.console_idle_minutes),
        max_age=timedelta(hours=settings.console_session_hours),
        secure=settings.app_env != Environment.development,
        pre_max_age=PRE_MAX_AGE,
    )


def _make(settings: Settings) -> SessionStore:
    return SessionStore(
        settings.blind_index_key.get_secret_value().encode(), b"console-session-v1", policy_of(settings)
    )


def store_of(request: Request) -> SessionStore:
    return web_sessions.store_of(request, "console_sessions", _make)


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: timedelta) -> None:
    store_of(request).set_cookie(response, name, value, max_age)


def clear_cookie(request: Request, response: Response, name: str) -> None:
    store_of(request).clear_cookie(response, name)


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
    session: WebSession
    person: Person
    # Read when the session was found: still there after the request's transaction rolled back.
    csrf: str


def signed_in(*roles: AccountRole) -> Any:
    """A dependency admitting only a live console session of one of `roles` (the console's `allow(...)`):
    the access-rule tests read `allowed_kinds` as they do for bearer-token routes."""

    async def _check(request: Request, db: Session) -> SignedIn:
        store = store_of(request)
        found = await store.find(db, request.cookies.get(COOKIE), utcnow())
        person = None if found is None else await accounts.person_of(db, found.subject_id)
        if found is None or person is None:
            if found is not None:
                await store.close(db, found)
            # The redirect is raised, which rolls the request back: keep the expired or closed row's
            # deletion (nothing else has happened in this request yet).
            await db.commit()
            raise ConsoleSignInRequired()
        signed = SignedIn(found, person, found.csrf)
        if person.role not in roles:
            # The 403 page is rendered after the request's transaction rolled back (which would expire the
            # row): it reads the session as loaded here.
            db.expunge(found)
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

csrf_ok = web_sessions.csrf_ok
