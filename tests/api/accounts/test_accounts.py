"""Accounts: the operator CLI (create prints the password and TOTP secret once, disable, reset, list),
argon2id hashes at rest, the TOTP secret sealed, a disabled account's session ending at once, the idle
timeout and signing out. Real SQLite, real argon2 and TOTP."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

import httpx
import pyotp
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from api.__main__ import main
from api.accounts import credentials
from api.accounts.models import Account
from api.config import Settings, get_settings
from api.db import create_engine, create_sessionmaker
from api.kit.models import utcnow
from api.principal.models import Principal
from api.web.models import WebSession
from tests.api.console.conftest import make_account, post_form, sign_in


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("RASA_TRACKER_DB", settings.rasa_tracker_db)
    get_settings.cache_clear()
    return settings


async def stored(settings: Settings, username: str) -> tuple[Account, Principal]:
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            row = (
                await session.execute(
                    select(Account, Principal)
                    .join(Principal, Principal.id == Account.principal_id)
                    .where(Account.username == username)
                )
            ).one()
            return row[0], row[1]
    finally:
        await engine.dispose()


def issued(out: str) -> tuple[str, str]:
    password = re.search(r"^password: (\S+)$", out, re.M)
    secret = re.search(r"^totp secret: (\S+)$", out, re.M)
    assert password and secret, out
    assert "otpauth://totp/" in out
    return password.group(1), secret.group(1)


class TestCli:
    def test_create_disable_reset(self, cli: Settings, capsys: Any) -> None:
        code = main(
            ["account", "create", "--username", "Synthetic-CW", "--name", "Synthetic Caseworker",
             "--role", "caseworker", "--queue", "hate_crime"]
        )  # fmt: skip
        assert code == 0
        password, secret = issued(capsys.readouterr().out)
        account, principal = asyncio.run(stored(cli, "synthetic-cw"))  # usernames are lower-cased
        assert account.password_hash.startswith("$argon2id$") and password not in account.password_hash
        assert secret.encode() not in account.totp_sealed
        assert principal.kind == "provider" and principal.queues == ["hate_crime"]

        assert (
            main(["account", "create", "--username", "synthetic-cw", "--name", "Again", "--role", "admin"])
            == 2
        )
        assert "taken" in capsys.readouterr().out
        assert (
            main(["account", "create", "--username", "x", "--name", "No queue", "--role", "team_lead"]) == 2
        )
        capsys.readouterr()

        assert main(["account", "disable", "synthetic-cw"]) == 0
        assert asyncio.run(stored(cli, "synthetic-cw"))[0].disabled_at is not None
        assert main(["account", "list"]) == 0
        assert "synthetic-cw\tcaseworker\thate_crime\tdisabled" in capsys.readouterr().out

        assert main(["account", "reset", "synthetic-cw"]) == 0
        new_password, new_secret = issued(capsys.readouterr().out)
        assert (new_password, new_secret) != (password, secret)
        assert asyncio.run(stored(cli, "synthetic-cw"))[0].disabled_at is None
        assert main(["account", "reset", "nobody"]) == 1


class TestSessions:
    async def test_a_disabled_account_is_signed_out_at_once(
        self, app: FastAPI, browser: httpx.AsyncClient, other_browser: httpx.AsyncClient
    ) -> None:
        caseworker = await make_account(app, "caseworker", ["hate_crime"])
        admin = await make_account(app, "admin", username="synthetic-admin")
        await sign_in(browser, caseworker)
        assert (await browser.get("/console")).status_code == 200
        await sign_in(other_browser, admin)
        async with app.state.sessionmaker() as session:
            account_id = await session.scalar(
                select(Account.id).where(Account.username == caseworker.username)
            )
        disabled = await post_form(
            other_browser, "/console/admin/accounts", f"/console/admin/accounts/{account_id}/disable"
        )
        assert disabled.status_code == 303
        assert (await browser.get("/console")).status_code == 303  # back to sign-in

    async def test_idle_timeout(
        self, app: FastAPI, browser: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """CONSOLE_IDLE_MINUTES is 20: each request within it keeps the session; 20 minutes idle ends it."""
        caseworker = await make_account(app, "caseworker", ["hate_crime"])
        await sign_in(browser, caseworker)
        start = utcnow()
        for minutes in (19, 38):
            monkeypatch.setattr("api.console.sessions.utcnow", lambda m=minutes: start + timedelta(minutes=m))
            assert (await browser.get("/console")).status_code == 200
        monkeypatch.setattr("api.console.sessions.utcnow", lambda: start + timedelta(minutes=58, seconds=1))
        reply = await browser.get("/console")
        assert reply.status_code == 303 and reply.headers["location"] == "/console/sign-in"
        async with app.state.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(WebSession)) == 0

    async def test_sign_out(self, app: FastAPI, browser: httpx.AsyncClient) -> None:
        caseworker = await make_account(app, "caseworker", ["hate_crime"])
        await sign_in(browser, caseworker)
        signed_out = await post_form(browser, "/console", "/console/sign-out")
        assert signed_out.status_code == 303 and "signed_out=true" in signed_out.headers["location"]
        assert (await browser.get("/console")).status_code == 303


class TestCredentials:
    def test_totp_codes_are_standard(self) -> None:
        secret = credentials.new_totp_secret()
        assert credentials.totp_step(pyotp.TOTP(secret).now(), secret) is not None
        assert credentials.totp_step("12345", secret) is None

    def test_passwords(self) -> None:
        encoded = credentials.hash_password("synthetic correct horse")
        assert credentials.verify_password(encoded, "synthetic correct horse")
        assert not credentials.verify_password(encoded, "synthetic wrong horse")
        assert not credentials.verify_password("not-a-hash", "x")
