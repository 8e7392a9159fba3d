"""Console test helpers: accounts made through api/accounts, signing in with a real TOTP code, cases
made through the API. Synthetic data only."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pyotp
import pytest
from fastapi import FastAPI

from api.accounts import service as accounts
from api.accounts.models import AccountRole
from api.auth import OPERATOR


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    secret: str

    def code(self) -> str:
        return pyotp.TOTP(self.secret).now()


async def make_account(app: FastAPI, role: str, queues: list[str] | None = None, username: str = "") -> Login:
    username = username or f"synthetic-{role}"
    async with app.state.sessionmaker() as session, session.begin():
        issued = await accounts.create(
            session,
            app.state.vault,
            OPERATOR,
            username=username,
            name=f"Synthetic {role.replace('_', ' ')}",
            role=AccountRole(role),
            queues=queues or [],
        )
    return Login(issued.username, issued.password, issued.totp_secret)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


async def sign_in(browser: httpx.AsyncClient, login: Login, code: str | None = None) -> httpx.Response:
    form = await browser.get("/console/sign-in")
    return await browser.post(
        "/console/sign-in",
        data={
            "csrf_token": csrf_of(form.text),
            "lang": "en",
            "username": login.username,
            "password": login.password,
            "code": code if code is not None else login.code(),
        },
    )


async def post_form(browser: httpx.AsyncClient, page: str, action: str, **data: Any) -> httpx.Response:
    """Open `page`, take its CSRF token, and post `data` to `action` as the page's form would."""
    opened = await browser.get(page)
    assert opened.status_code == 200, opened.text
    return await browser.post(action, data={"csrf_token": csrf_of(opened.text), **data})


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        yield http


@pytest.fixture
async def other_browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        yield http
