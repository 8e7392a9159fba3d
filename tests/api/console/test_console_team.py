"""Running the teams from the console: a caseworker acknowledges an alert (who and when kept, audited; it
leaves the list and is never e-mailed); the admin's queues page (counts and staff names only, never a case)
and each queue's team address (validated, audited, used by the alert e-mails)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from api.accounts.models import Account
from api.accounts.service import person_of
from api.alerts import service as alerts
from api.alerts.models import Alert, TeamAddress
from api.alerts.settings import AlertSettings
from api.audit.models import AuditEvent
from api.kit.models import utcnow
from api.queue.models import QueueEntry
from api.referral.models import Referral
from api.worker.__main__ import mail_alerts, run_once
from tests.api.console.conftest import make_account, post_form, sign_in
from tests.api.console.test_console_alerts import CANARY_NAME, CANARY_PHONE, Inbox, emergency, set_address
from tests.api.console.test_console_alerts import smtp as smtp  # the fixture: a real SMTP server
from tests.builders import create_referral


async def alert_rows(app: FastAPI) -> list[Alert]:
    async with app.state.sessionmaker() as session:
        return list(await session.scalars(select(Alert)))


async def audit_actions(app: FastAPI) -> list[tuple[str, str]]:
    async with app.state.sessionmaker() as session:
        rows = await session.execute(select(AuditEvent.action, AuditEvent.reason).order_by(AuditEvent.seq))
        return [(action, reason) for action, reason in rows]


class TestAcknowledge:
    async def test_acknowledged_alert_leaves_the_list_and_is_never_mailed(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        bot_headers: dict[str, str],
        smtp: tuple[Inbox, int],
    ) -> None:
        inbox, port = smtp
        created = await create_referral(client, bot_headers, emergency())
        await set_address(app, "hate_crime", "hate-crime-team@example.org")
        # No deadline lead: an emergency received 15:00-17:00 on a working day is due at 17:00, so its
        # deadline alert would join the emergency one depending on the hour the tests run.
        settings = AlertSettings(
            _env_file=None, alert_deadline_lead_minutes=0, smtp_host="127.0.0.1", smtp_port=port
        )
        await run_once(app.state.sessionmaker, settings)
        [alert] = await alert_rows(app)

        caseworker = await make_account(app, "caseworker", ["hate_crime"])
        await sign_in(browser, caseworker)
        home = await browser.get("/console")
        assert f"/console/alerts/{alert.id}/acknowledge" in home.text
        done = await post_form(browser, "/console", f"/console/alerts/{alert.id}/acknowledge")
        assert (done.status_code, done.headers["location"]) == (303, "/console")

        home = await browser.get("/console")
        assert "Emergency case" not in home.text and created["reference"] not in home.text.split("<table")[0]
        [acknowledged] = await alert_rows(app)
        async with app.state.sessionmaker() as session:
            account = await session.scalar(select(Account).where(Account.username == caseworker.username))
        assert account is not None
        assert acknowledged.cleared_by == account.principal_id
        assert acknowledged.cleared_at is not None
        assert abs(acknowledged.cleared_at - utcnow()) < timedelta(minutes=1)
        assert ("alert.acknowledge", "kind=emergency queue=hate_crime") in await audit_actions(app)

        # Not raised again for the same case and kind, and never e-mailed.
        await run_once(app.state.sessionmaker, settings)
        assert len(await alert_rows(app)) == 1
        assert await mail_alerts(app.state.sessionmaker, settings, "https://console.example.org") == 0
        assert inbox.messages == []

    async def test_another_teams_alert_is_missing_and_stays(
        self, app: FastAPI, client: httpx.AsyncClient, browser: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        await create_referral(client, bot_headers, emergency())
        await run_once(app.state.sessionmaker, AlertSettings(_env_file=None, alert_deadline_lead_minutes=0))
        [alert] = await alert_rows(app)
        other = await make_account(app, "caseworker", ["asb_mediation"])
        await sign_in(browser, other)
        refused = await post_form(browser, "/console", f"/console/alerts/{alert.id}/acknowledge")
        assert refused.status_code == 404
        [kept] = await alert_rows(app)
        assert kept.cleared_at is None

    async def test_acknowledging_twice_keeps_the_first(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        await create_referral(client, bot_headers, emergency())
        await run_once(app.state.sessionmaker, AlertSettings(_env_file=None, alert_deadline_lead_minutes=0))
        [alert] = await alert_rows(app)
        lead = await make_account(app, "team_lead", ["hate_crime"], username="synthetic-lead")
        first = utcnow() - timedelta(minutes=5)
        async with app.state.sessionmaker() as session, session.begin():
            account = await session.scalar(select(Account).where(Account.username == lead.username))
            assert account is not None
            person = await person_of(session, account.id)
            assert person is not None
            assert await alerts.acknowledge(session, person.caller, alert.id, first)
            assert await alerts.acknowledge(session, person.caller, alert.id, utcnow())
        [kept] = await alert_rows(app)
        assert kept.cleared_at == first
        assert [a for a, _ in await audit_actions(app)].count("alert.acknowledge") == 1


class TestQueuesPage:
    async def test_counts_and_staff_names_only(
        self, app: FastAPI, client: httpx.AsyncClient, browser: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        made = [await create_referral(client, bot_headers, emergency()) for _ in range(3)]
        caseworker = await make_account(app, "caseworker", ["hate_crime"], username="synthetic-cw")
        admin = await make_account(app, "admin", username="synthetic-admin")
        async with app.state.sessionmaker() as session, session.begin():
            entries = list(
                await session.scalars(
                    select(QueueEntry).join(Referral).where(Referral.reference == made[0]["reference"])
                )
            )
            for entry in entries:
                entry.deadline = utcnow() - timedelta(hours=1)  # overdue, not contacted
        cw_browser = browser
        await sign_in(cw_browser, caseworker)
        claimed = await post_form(cw_browser, "/console", "/console/queues/hate_crime/claim")
        assert claimed.status_code == 303

        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as admin_browser:
            await sign_in(admin_browser, admin)
            page = await admin_browser.get("/console/admin/queues")
        assert page.status_code == 200
        html = page.text
        row = html.split('data-label="Queue">Hate crime</th>')[1].split("</tr>")[0]
        cells = [c.split(">", 1)[1].split("<", 1)[0] for c in row.split("<td")[1:]]
        assert cells[0] == "2"  # waiting: three made, one claimed
        assert cells[2] == "1"  # past deadline and not contacted (waiting or held alike)
        assert "Synthetic caseworker</span>: 1" in row
        for created in made:
            assert created["reference"] not in html
        for canary in (CANARY_NAME, CANARY_PHONE):
            assert canary not in html


class TestTeamAddress:
    async def test_admin_sets_and_clears_it(self, app: FastAPI, browser: httpx.AsyncClient) -> None:
        admin = await make_account(app, "admin", username="synthetic-admin")
        await sign_in(browser, admin)
        saved = await post_form(
            browser,
            "/console/admin/queues",
            "/console/admin/queues/asb_mediation/team-address",
            email=" asb-team@example.org ",
        )
        assert (saved.status_code, saved.headers["location"]) == (303, "/console/admin/queues?saved=1")
        async with app.state.sessionmaker() as session:
            assert await alerts.team_addresses(session) == {"asb_mediation": "asb-team@example.org"}
        page = await browser.get("/console/admin/queues?saved=1")
        assert 'value="asb-team@example.org"' in page.text and "Saved." in page.text
        cleared = await post_form(
            browser, "/console/admin/queues", "/console/admin/queues/asb_mediation/team-address", email=""
        )
        assert cleared.status_code == 303
        async with app.state.sessionmaker() as session:
            assert list(await session.scalars(select(TeamAddress))) == []
        actions = await audit_actions(app)
        assert ("alerts.team_address", "queue=asb_mediation set=True") in actions
        assert ("alerts.team_address", "queue=asb_mediation set=False") in actions
        assert all("example.org" not in reason for _, reason in actions)

    @pytest.mark.parametrize(
        "bad", ["not an address", "Team <team@example.org>", "a@example.org, b@example.org", "team@localhost"]
    )
    async def test_a_bad_address_is_refused_and_the_old_one_kept(
        self, app: FastAPI, browser: httpx.AsyncClient, bad: str
    ) -> None:
        await set_address(app, "hate_crime", "hate-crime-team@example.org")
        admin = await make_account(app, "admin", username="synthetic-admin")
        await sign_in(browser, admin)
        refused = await post_form(
            browser, "/console/admin/queues", "/console/admin/queues/hate_crime/team-address", email=bad
        )
        assert refused.status_code == 422
        assert "Enter one e-mail address" in refused.text
        async with app.state.sessionmaker() as session:
            assert await alerts.team_addresses(session) == {"hate_crime": "hate-crime-team@example.org"}
