"""Browser sessions in the database (api/web/sessions.py), on SQLite and PostgreSQL: a session one api
instance opened is honoured by a second instance over the same database and survives a restart; sign-out
on one instance ends it on every other; the table keeps only a hash of the session id; idle and absolute
limits hold; expired rows are purged (on use, at sign-in, by the worker)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from api.config import Settings
from api.kit.models import utcnow
from api.main import create_app
from api.web import sessions as web_sessions
from api.web.models import Surface, WebSession
from api.worker.__main__ import run_once
from tests.api.console.conftest import csrf_of, make_account, sign_in
from tests.builders import create_principal
from tests.pg import BOTH_DIALECTS, sqlite_or_postgresql


@pytest.fixture(params=BOTH_DIALECTS)
def database_url(request: pytest.FixtureRequest, database_url: str) -> Iterator[str]:
    yield from sqlite_or_postgresql(request, database_url)


@asynccontextmanager
async def instance(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """One api process: its own app, engine and lifespan, over the shared database."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
            yield app, client


def cookies_of(client: httpx.AsyncClient, name: str) -> dict[str, str]:
    value = client.cookies.get(name)
    assert value, f"no {name} cookie"
    return {name: value}


async def rows(app: FastAPI) -> list[WebSession]:
    async with app.state.sessionmaker() as session:
        return list(await session.scalars(select(WebSession)))


class TestConsoleAcrossInstances:
    async def test_one_instance_signs_in_another_honours_it_and_a_restart_keeps_it(
        self, settings: Settings
    ) -> None:
        async with instance(settings) as (app_a, browser_a), instance(settings) as (_app_b, browser_b):
            login = await make_account(app_a, "caseworker", ["hate_crime"])
            assert (await sign_in(browser_a, login)).status_code == 303
            cookie = cookies_of(browser_a, "console_session")
            browser_b.cookies.update(cookie)
            on_b = await browser_b.get("/console")
            assert on_b.status_code == 200, on_b.text[:300]
            # The CSRF token is the session's, whichever instance renders the page.
            assert csrf_of(on_b.text) == csrf_of((await browser_a.get("/console")).text)
        async with instance(settings) as (_app_c, browser_c):
            browser_c.cookies.update(cookie)
            assert (await browser_c.get("/console")).status_code == 200

    async def test_sign_out_on_one_instance_ends_the_session_on_the_other(self, settings: Settings) -> None:
        async with instance(settings) as (app_a, browser_a), instance(settings) as (_app_b, browser_b):
            login = await make_account(app_a, "caseworker", ["hate_crime"])
            await sign_in(browser_a, login)
            browser_b.cookies.update(cookies_of(browser_a, "console_session"))
            page = await browser_b.get("/console")
            signed_out = await browser_b.post("/console/sign-out", data={"csrf_token": csrf_of(page.text)})
            assert signed_out.status_code == 303
            reply = await browser_a.get("/console")
            assert (reply.status_code, reply.headers["location"]) == (303, "/console/sign-in")
            assert await rows(app_a) == []

    async def test_only_a_hash_of_the_session_id_is_stored(self, settings: Settings) -> None:
        async with instance(settings) as (app, browser):
            login = await make_account(app, "caseworker", ["hate_crime"])
            await sign_in(browser, login)
            session_id = browser.cookies["console_session"].rsplit(".", 1)[0]
            [row] = await rows(app)
            assert row.surface == Surface.console
            assert row.id_hash == hashlib.sha256(session_id.encode()).hexdigest()
            assert session_id not in repr(vars(row))

    async def test_a_forged_cookie_finds_nothing(self, settings: Settings) -> None:
        async with instance(settings) as (app, browser):
            login = await make_account(app, "caseworker", ["hate_crime"])
            await sign_in(browser, login)
            session_id = browser.cookies["console_session"].rsplit(".", 1)[0]
            browser.cookies.clear()
            browser.cookies.set("console_session", f"{session_id}.{'0' * 32}", domain="testserver")
            assert (await browser.get("/console")).status_code == 303


class TestLimits:
    async def test_idle_limit_from_the_setting(
        self, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        short = settings.model_copy(update={"console_idle_minutes": 5})
        async with instance(short) as (app, browser):
            await sign_in(browser, await make_account(app, "caseworker", ["hate_crime"]))
            start = utcnow()
            monkeypatch.setattr("api.console.sessions.utcnow", lambda: start + timedelta(minutes=4))
            assert (await browser.get("/console")).status_code == 200
            monkeypatch.setattr(
                "api.console.sessions.utcnow", lambda: start + timedelta(minutes=9, seconds=1)
            )
            assert (await browser.get("/console")).status_code == 303
            assert await rows(app) == []  # found expired: deleted on use

    async def test_absolute_lifetime_ends_a_busy_session(
        self, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async with instance(settings) as (app, browser):
            await sign_in(browser, await make_account(app, "caseworker", ["hate_crime"]))
            start = utcnow()
            for minutes in range(15, 10 * 60, 15):  # a request every 15 minutes, never idle for 20
                monkeypatch.setattr(
                    "api.console.sessions.utcnow", lambda m=minutes: start + timedelta(minutes=m)
                )
                assert (await browser.get("/console")).status_code == 200, minutes
            monkeypatch.setattr("api.console.sessions.utcnow", lambda: start + timedelta(hours=10, seconds=1))
            assert (await browser.get("/console")).status_code == 303

    async def test_the_worker_and_the_next_sign_in_purge_expired_rows(self, settings: Settings) -> None:
        async with instance(settings) as (app, browser):
            # Three people (a TOTP code is good once, so nobody signs in twice within one code's step).
            first, second, third = [
                await make_account(app, "caseworker", ["hate_crime"], username=f"synthetic-{n}")
                for n in ("one", "two", "three")
            ]
            await sign_in(browser, first)
            async with app.state.sessionmaker() as session, session.begin():
                [row] = list(await session.scalars(select(WebSession)))
                row.idle_until = utcnow() - timedelta(seconds=1)
            await run_once(app.state.sessionmaker)
            assert await rows(app) == []
            await sign_in(browser, second)
            async with app.state.sessionmaker() as session, session.begin():
                [row] = list(await session.scalars(select(WebSession)))
                row.expires_at = utcnow() - timedelta(seconds=1)
            await sign_in(browser, third)  # a new session; the expired one is purged on the way
            [left] = await rows(app)
            assert left.expires_at > utcnow()


class TestAgencyFormAcrossInstances:
    async def test_a_form_session_is_shared_and_its_idle_limit_is_its_own(
        self, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async with instance(settings) as (app_a, browser_a), instance(settings) as (_app_b, browser_b):
            token = await create_principal(app_a, "agency", "Synthetic housing team")
            page = await browser_a.get("/refer/sign-in?lang=en")
            signed = await browser_a.post(
                "/refer/sign-in", data={"token": token, "csrf_token": csrf_of(page.text), "lang": "en"}
            )
            assert signed.status_code == 303
            browser_b.cookies.update(cookies_of(browser_a, "refer_session"))
            assert (await browser_b.get("/refer?lang=en")).status_code == 200
            [row] = await rows(app_a)
            assert row.surface == Surface.agency_form
            start = utcnow()
            # 25 idle minutes would end a console session (20); the form allows 30.
            monkeypatch.setattr("api.agency_form.sessions.utcnow", lambda: start + timedelta(minutes=25))
            assert (await browser_b.get("/refer?lang=en")).status_code == 200
            monkeypatch.setattr("api.agency_form.sessions.utcnow", lambda: start + timedelta(minutes=56))
            assert (await browser_a.get("/refer?lang=en")).status_code == 303

    async def test_a_console_cookie_is_no_form_session(self, settings: Settings) -> None:
        async with instance(settings) as (app, browser):
            await sign_in(browser, await make_account(app, "caseworker", ["hate_crime"]))
            console = browser.cookies["console_session"]
            store = web_sessions.SessionStore(
                settings.blind_index_key.get_secret_value().encode(),
                b"agency-form-session-v1",
                web_sessions.Policy(
                    Surface.agency_form,
                    "refer_session",
                    "refer_sign_in",
                    "/refer",
                    timedelta(minutes=30),
                    timedelta(hours=8),
                    True,
                ),
            )
            async with app.state.sessionmaker() as session:
                # Signed for the console: refused by the form's key before any lookup...
                assert await store.find(session, console, utcnow()) is None
                # ...and even signed with the form's key, the console's row is not the form's.
                resigned = store.sign(console.rsplit(".", 1)[0])
                assert await store.find(session, resigned, utcnow()) is None
                assert await session.scalar(select(func.count()).select_from(WebSession)) == 1
