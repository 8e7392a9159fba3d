"""The console's access matrix: every route of /console, as every role (and no one), against an explicit
table (the console's half of tests/api/test_access_matrix.py, whose route check counts these rows too).

A console page is reached with a console session, not a bearer token: each role signs in through
/console/sign-in with its own account (a real password and TOTP code), then makes the row's request.
Without a session every signed-in route redirects to the sign-in page; a role not named gets 403; a case
outside the person's queues is 404 exactly like a missing one.

The world of each test: two hate crime cases, the first claimed by the caseworker; accounts for a
caseworker and a team lead of hate crime, a caseworker of ASB (another team), an admin and a
data-protection officer."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from api.accounts import service as accounts
from api.accounts.models import Account
from api.alerts.models import Alert, AlertKind
from api.config import Settings
from api.main import create_app
from api.queue import service as queue_service
from api.queue.models import QueueEntry
from api.triage.schemas import Queue
from tests.api.console.conftest import Login, csrf_of, make_account, sign_in
from tests.builders import bearer, create_referral
from tests.conftest import BOT_TOKEN

ANON, CASEWORKER, LEAD, OTHER_TEAM, ADMIN, DPO = (
    "anonymous",
    "caseworker",
    "team_lead",
    "other_team",
    "admin",
    "data_protection",
)
ROLES = (ANON, CASEWORKER, LEAD, OTHER_TEAM, ADMIN, DPO)
SIGN_IN = "/console/sign-in"
CASE = "/console/cases/{entry_id}"
MISSING = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Expect:
    status: int
    location: str | None = None


def signed_in(**statuses: int) -> dict[str, Expect]:
    """No session: to sign-in. Each named role its status; every other role 403."""
    expect = {role: Expect(statuses.get(role, 403)) for role in ROLES}
    expect[ANON] = Expect(303, SIGN_IN)
    return expect


def case_rule(holder: int, lead: int = 409) -> dict[str, Expect]:
    """An action on the caseworker's claimed case: the holder's status, the team lead's (another person
    holds it), another team's 404 (their queues do not have it)."""
    return signed_in(caseworker=holder, team_lead=lead, other_team=404)


@dataclass(frozen=True)
class ConsoleRow:
    method: str
    route: str
    expect: dict[str, Expect]
    path: str = ""
    data: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.method} {self.path or self.route}"


CONSOLE_ROWS: list[ConsoleRow] = [
    ConsoleRow("GET", SIGN_IN, {r: Expect(200) for r in ROLES}),
    ConsoleRow("POST", SIGN_IN, {**{r: Expect(303) for r in ROLES}, ANON: Expect(401)}),
    ConsoleRow(
        "GET", "/console/static/{name}", {r: Expect(200) for r in ROLES}, path="/console/static/console.css"
    ),
    ConsoleRow("POST", "/console/sign-out", {r: Expect(303, SIGN_IN) for r in ROLES}),
    ConsoleRow("GET", "/console", signed_in(caseworker=200, team_lead=200, other_team=200)),
    ConsoleRow(
        "POST",
        "/console/queues/{queue}/claim",
        signed_in(caseworker=303, team_lead=303, other_team=404),
        path="/console/queues/hate_crime/claim",
    ),
    ConsoleRow("GET", CASE, signed_in(caseworker=200, team_lead=200, other_team=404)),
    ConsoleRow(
        "GET",
        CASE,
        signed_in(caseworker=404, team_lead=404, other_team=404),
        path=f"/console/cases/{MISSING}",
    ),
    ConsoleRow("POST", CASE + "/accept", case_rule(303)),
    ConsoleRow("POST", CASE + "/note", case_rule(303), data={"text": "Synthetic note"}),
    ConsoleRow("POST", CASE + "/attempt", case_rule(303), data={"channel": "phone", "outcome": "no_answer"}),
    ConsoleRow(
        "POST",
        CASE + "/first-contact",
        case_rule(303),
        data={
            "at": "2026-12-07T09:00",
            "channel": "phone",
            "outcome": "support_accepted",
            "identity_checked": "yes",
        },
    ),
    ConsoleRow("POST", CASE + "/return", case_rule(303), data={"reason": "wrong_service"}),
    ConsoleRow(
        "POST",
        CASE + "/transfer",
        case_rule(303),
        data={"target": "asb_mediation", "reason": "wrong_service"},
    ),
    # Claimed, not accepted: closing is a conflict even for the holder.
    ConsoleRow("POST", CASE + "/close", case_rule(409), data={"outcome": "supported"}),
    ConsoleRow("GET", "/console/inbox", signed_in(team_lead=200)),
    # Re-triage is the team lead's, of a returned case: the world's case is claimed, so a conflict.
    ConsoleRow("POST", CASE + "/retriage", signed_in(team_lead=409), data={"incident_type": "asb"}),
    ConsoleRow(
        "GET",
        "/console/search",
        signed_in(caseworker=200, team_lead=200, other_team=200),
        path="/console/search?q=SR-2345-6789",
    ),
    # The data-protection officer's pages: the world's references are not the one looked up (nothing held).
    ConsoleRow("GET", "/console/rights", signed_in(data_protection=200)),
    ConsoleRow(
        "POST",
        "/console/rights/find",
        signed_in(data_protection=200),
        data={"kind": "reference", "value": "SR-2345-6789"},
    ),
    ConsoleRow(
        "POST",
        "/console/rights/export",
        signed_in(data_protection=404),
        data={"kind": "reference", "value": "SR-2345-6789", "format": "page"},
    ),
    ConsoleRow(
        "POST",
        "/console/rights/rectify",
        signed_in(data_protection=404),
        data={"reference": "SR-2345-6789", "field": "phone", "value": "07700 900999"},
    ),
    ConsoleRow(
        "POST",
        "/console/rights/erase",
        signed_in(data_protection=404),
        data={"reference": "SR-2345-6789", "confirm": "yes"},
    ),
    ConsoleRow("GET", "/console/admin/accounts", signed_in(admin=200)),
    ConsoleRow(
        "POST",
        "/console/admin/accounts",
        signed_in(admin=201),
        data={
            "username": "synthetic-made",
            "name": "Synthetic Made",
            "role": "caseworker",
            "queue": "hate_crime",
        },
    ),
    ConsoleRow("POST", "/console/admin/accounts/{account_id}/disable", signed_in(admin=303)),
    ConsoleRow("POST", "/console/admin/accounts/{account_id}/reset", signed_in(admin=200)),
    # An alert on the caseworker's claimed case (hate crime): its team acknowledges; another team's is 404.
    ConsoleRow(
        "POST",
        "/console/alerts/{alert_id}/acknowledge",
        signed_in(caseworker=303, team_lead=303, other_team=404),
    ),
    ConsoleRow(
        "POST",
        "/console/alerts/{alert_id}/acknowledge",
        signed_in(caseworker=404, team_lead=404, other_team=404),
        path=f"/console/alerts/{MISSING}/acknowledge",
    ),
    ConsoleRow("GET", "/console/admin/queues", signed_in(admin=200)),
    ConsoleRow(
        "POST",
        "/console/admin/queues/{queue}/team-address",
        signed_in(admin=303),
        path="/console/admin/queues/hate_crime/team-address",
        data={"email": "team@example.org"},
    ),
]
CONSOLE_ROUTES = {(row.method, row.route) for row in CONSOLE_ROWS}
LANDING = {
    CASEWORKER: "/console",
    LEAD: "/console",
    OTHER_TEAM: "/console",
    ADMIN: "/console/admin/accounts",
    DPO: "/console/rights",
}


@dataclass
class ConsoleWorld:
    logins: dict[str, Login]
    values: dict[str, str]


async def build(app: FastAPI, client: httpx.AsyncClient) -> ConsoleWorld:
    logins = {
        CASEWORKER: await make_account(app, "caseworker", ["hate_crime"], username="synthetic-cw"),
        LEAD: await make_account(app, "team_lead", ["hate_crime"], username="synthetic-lead"),
        OTHER_TEAM: await make_account(app, "caseworker", ["asb_mediation"], username="synthetic-asb"),
        ADMIN: await make_account(app, "admin", username="synthetic-admin"),
        DPO: await make_account(app, "data_protection", username="synthetic-dpo"),
    }
    bot = bearer(BOT_TOKEN)
    await create_referral(client, bot)
    await create_referral(client, bot)
    # The caseworker claims the first case (through the queue service: no TOTP code is used up here).
    async with app.state.sessionmaker() as session, session.begin():
        account = await session.scalar(select(Account).where(Account.username == "synthetic-cw"))
        assert account is not None
        person = await accounts.person_of(session, account.id)
        assert person is not None
        claimed = await queue_service.claim(session, app.state.vault, person.caller, Queue.HATE_CRIME, 900)
        other = await session.scalar(select(Account.id).where(Account.username == "synthetic-asb"))
        entry = await session.get_one(QueueEntry, uuid.UUID(claimed.entry_id))
        alert = Alert(
            referral_id=entry.referral_id, entry_id=entry.id, queue=entry.queue, kind=AlertKind.emergency
        )
        session.add(alert)
        await session.flush()
    values = {"entry_id": claimed.entry_id, "account_id": str(other), "alert_id": str(alert.id)}
    return ConsoleWorld(logins, values)


@dataclass(frozen=True)
class BuiltConsole:
    path: Path
    world: ConsoleWorld


@pytest.fixture(scope="module")
def built_console(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> BuiltConsole:
    """The world built once per module (argon2 hashes are slow on purpose); each test gets a copy."""
    path = tmp_path_factory.mktemp("console") / "api.db"
    shutil.copyfile(template_db, path)
    settings = Settings(
        app_env="test",
        database_url=f"sqlite+aiosqlite:///{path}",
        bot_service_token=BOT_TOKEN,
        allow_fictional_phone_numbers=True,
        _env_file=None,
    )

    async def run() -> ConsoleWorld:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                return await build(app, client)

    world = asyncio.run(run())
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return BuiltConsole(path, world)


@pytest.fixture
def database_url(built_console: BuiltConsole, tmp_path: Path) -> str:
    """Overrides conftest's: every test of this module starts from a copy of the built world."""
    path = tmp_path / "api.db"
    shutil.copyfile(built_console.path, path)
    return f"sqlite+aiosqlite:///{path}"


class TestConsoleMatrix:
    def test_every_row_names_every_role(self) -> None:
        for row in CONSOLE_ROWS:
            assert set(row.expect) == set(ROLES), row.id

    @pytest.mark.parametrize("role", ROLES)
    @pytest.mark.parametrize("row", CONSOLE_ROWS, ids=lambda r: r.id)
    async def test_status(
        self, built_console: BuiltConsole, browser: httpx.AsyncClient, row: ConsoleRow, role: str
    ) -> None:
        console_world = built_console.world
        path = (row.path or row.route).format(**console_world.values)
        login = console_world.logins.get(role)
        if (row.method, row.route) == ("POST", SIGN_IN):
            reply = await sign_in(browser, login or Login("", "", "A" * 32), code=None if login else "000000")
        else:
            csrf = ""
            if login is not None:
                assert (await sign_in(browser, login)).status_code == 303
                landing = await browser.get(LANDING.get(role, "/console"))
                csrf = csrf_of(landing.text)
            data = {"csrf_token": csrf, **row.data} if row.method == "POST" else None
            reply = await browser.request(row.method, path, data=data)
        expected = row.expect[role]
        assert reply.status_code == expected.status, reply.text[:500]
        if expected.location is not None:
            assert reply.headers["location"].startswith(expected.location)
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["cache-control"] in ("no-store", "public, max-age=31536000, immutable")
