"""The console end to end over HTTP: sign in with a TOTP code, queues in triage order, claim, the case page
(plan first, reasons in words, answers), notes and contact attempts sealed and audited, first contact,
close; transfer and the team lead's re-route; search; accounts. Real SQLite, real argon2 and TOTP."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from api.alerts.models import Alert
from api.alerts.settings import AlertSettings
from api.audit.models import AuditEvent
from api.config import Settings
from api.kit.models import utcnow
from api.queue.models import CaseActivity, EntryStatus, QueueEntry
from api.referral.models import Referral
from api.retention import disposal
from api.worker.__main__ import run_once
from tests.api.console.conftest import Login, make_account, post_form, sign_in
from tests.builders import create_referral, referral_payload

NOTE = "Synthetic note: spoke about the bus route"


def emergency_payload() -> dict[str, object]:
    return referral_payload(
        person={"phone": "07700 900456", "sms_safe": False, "safe_times": "Synthetic: weekday mornings"},
        triage={
            "incident_type": "hate",
            "hate_strands": ["race"],
            "consent": "given",
            "immediate_danger": "yes",
        },
    )


async def entry_of(app: FastAPI, reference: str) -> QueueEntry:
    async with app.state.sessionmaker() as session:
        entry = await session.scalar(
            select(QueueEntry)
            .join(Referral, Referral.id == QueueEntry.referral_id)
            .where(Referral.reference == reference)
        )
        assert entry is not None
        return entry


@pytest.fixture
async def caseworker(app: FastAPI) -> Login:
    return await make_account(app, "caseworker", ["hate_crime"])


class TestSignIn:
    async def test_signs_in_with_password_and_code(
        self, browser: httpx.AsyncClient, caseworker: Login
    ) -> None:
        reply = await sign_in(browser, caseworker)
        assert reply.status_code == 303 and reply.headers["location"] == "/console"
        cookie = reply.headers["set-cookie"]
        assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=strict" in cookie
        home = await browser.get("/console")
        assert home.status_code == 200
        assert home.headers["cache-control"] == "no-store"
        assert "script-src 'self'" in home.headers["content-security-policy"]
        assert "<script" not in home.text

    async def test_wrong_code_is_refused(self, browser: httpx.AsyncClient, caseworker: Login) -> None:
        reply = await sign_in(
            browser, caseworker, code="000000" if caseworker.code() != "000000" else "111111"
        )
        assert reply.status_code == 401
        assert (await browser.get("/console")).status_code == 303

    async def test_a_code_is_good_once(
        self, browser: httpx.AsyncClient, other_browser: httpx.AsyncClient, caseworker: Login
    ) -> None:
        code = caseworker.code()
        assert (await sign_in(browser, caseworker, code)).status_code == 303
        assert (await sign_in(other_browser, caseworker, code)).status_code == 401

    async def test_locked_after_five_failures(self, browser: httpx.AsyncClient, caseworker: Login) -> None:
        wrong = Login(caseworker.username, "wrong-password-synthetic", caseworker.secret)
        for _ in range(5):
            assert (await sign_in(browser, wrong)).status_code == 401
        assert (await sign_in(browser, caseworker)).status_code == 401  # right now, but locked

    async def test_without_a_session_every_page_goes_to_sign_in(self, browser: httpx.AsyncClient) -> None:
        reply = await browser.get("/console")
        assert reply.status_code == 303 and reply.headers["location"] == "/console/sign-in"

    async def test_a_post_without_the_csrf_token_is_refused(
        self, browser: httpx.AsyncClient, caseworker: Login
    ) -> None:
        await sign_in(browser, caseworker)
        reply = await browser.post("/console/queues/hate_crime/claim", data={"csrf_token": "forged"})
        assert reply.status_code == 403


class TestCaseworkersMorning:
    async def test_claim_read_attempt_first_contact_note_close(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        bot_headers: dict[str, str],
        caseworker: Login,
    ) -> None:
        normal = await create_referral(client, bot_headers)
        urgent = await create_referral(client, bot_headers, emergency_payload())
        await sign_in(browser, caseworker)

        home = await browser.get("/console")
        assert home.text.index(urgent["reference"]) < home.text.index(normal["reference"])  # triage order
        assert "Emergency" in home.text

        claimed = await post_form(browser, "/console", "/console/queues/hate_crime/claim")
        assert claimed.status_code == 303
        case_url = claimed.headers["location"]
        case = await browser.get(case_url)
        assert case.status_code == 200
        assert urgent["reference"] in case.text
        # The plan comes first, before the decision and the answers.
        plan_at = case.text.index("Do not text them.")
        assert plan_at < case.text.index("Triage decision") < case.text.index("What they told us")
        assert "Synthetic: weekday mornings" in case.text
        assert "immediate danger" in case.text  # the triage reason in words
        assert "Synthetic: shouted at on the bus" in case.text

        attempt = await post_form(
            browser, case_url, case_url + "/attempt", channel="phone", outcome="no_answer"
        )
        assert attempt.status_code == 303
        accepted = await post_form(browser, case_url, case_url + "/accept")
        assert accepted.status_code == 303
        first = await post_form(
            browser,
            case_url,
            case_url + "/first-contact",
            at="2026-12-07T09:30",
            channel="phone",
            outcome="support_accepted",
            identity_checked="yes",
        )
        assert first.status_code == 303, first.text
        noted = await post_form(browser, case_url, case_url + "/note", text=NOTE)
        assert noted.status_code == 303
        page = await browser.get(case_url)
        assert NOTE in page.text and "First contact" in page.text and "No answer" in page.text
        closed = await post_form(browser, case_url, case_url + "/close", outcome="supported")
        assert closed.status_code == 303

        entry = await entry_of(app, urgent["reference"])
        assert entry.status == EntryStatus.closed
        assert entry.first_contact_at is not None
        async with app.state.sessionmaker() as session:
            activities = list(await session.scalars(select(CaseActivity)))
            events = list(await session.scalars(select(AuditEvent)))
        note = next(a for a in activities if a.kind == "note")
        assert note.text_sealed is not None and NOTE.encode() not in note.text_sealed  # sealed
        actions = [e.action for e in events]
        for action in (
            "account.sign_in",
            "queue.claim",
            "case.attempt",
            "case.first_contact",
            "case.note",
            "queue.close",
        ):
            assert action in actions, action
        person_events = [e for e in events if e.action.startswith(("case.", "queue.", "console."))]
        caseworker_principal = {e.principal_id for e in events if e.action == "account.sign_in"}
        assert {e.principal_id for e in person_events} == caseworker_principal  # the audit names the person
        assert all(NOTE not in e.reason and "07700" not in e.reason for e in events)

    async def test_first_contact_needs_the_identity_check(
        self,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        bot_headers: dict[str, str],
        caseworker: Login,
    ) -> None:
        await create_referral(client, bot_headers)
        await sign_in(browser, caseworker)
        case_url = (await post_form(browser, "/console", "/console/queues/hate_crime/claim")).headers[
            "location"
        ]
        reply = await post_form(
            browser,
            case_url,
            case_url + "/first-contact",
            at="2026-12-07T09:30",
            channel="phone",
            outcome="support_accepted",
        )
        assert reply.status_code == 422


class TestOtherTeams:
    async def test_another_teams_case_looks_missing(
        self, app: FastAPI, client: httpx.AsyncClient, browser: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        created = await create_referral(client, bot_headers)
        entry = await entry_of(app, created["reference"])
        asb = await make_account(app, "caseworker", ["asb_mediation"], username="synthetic-asb")
        await sign_in(browser, asb)
        theirs = await browser.get(f"/console/cases/{entry.id}")
        missing = await browser.get("/console/cases/00000000-0000-4000-8000-000000000000")
        assert theirs.status_code == missing.status_code == 404
        assert theirs.text == missing.text
        found = await browser.get("/console/search", params={"q": created["reference"]})
        assert "No case in your queues matches." in found.text
        assert f"/console/cases/{entry.id}" not in found.text


class TestTransferAndReroute:
    async def test_return_then_team_lead_reroutes(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        other_browser: httpx.AsyncClient,
        bot_headers: dict[str, str],
        caseworker: Login,
    ) -> None:
        created = await create_referral(client, bot_headers)
        await sign_in(browser, caseworker)
        case_url = (await post_form(browser, "/console", "/console/queues/hate_crime/claim")).headers[
            "location"
        ]
        returned = await post_form(
            browser, case_url, case_url + "/return", reason="wrong_service", note="Synthetic: ASB"
        )
        assert returned.status_code == 303

        lead = await make_account(app, "team_lead", ["hate_crime"], username="synthetic-lead")
        await sign_in(other_browser, lead)
        inbox = await other_browser.get("/console/inbox")
        assert created["reference"] in inbox.text
        rerouted = await post_form(
            other_browser, case_url, case_url + "/transfer", target="asb_mediation", reason="wrong_service"
        )
        assert rerouted.status_code == 303
        assert created["reference"] not in (await other_browser.get("/console/inbox")).text
        async with app.state.sessionmaker() as session:
            entries = list(
                await session.scalars(
                    select(QueueEntry)
                    .join(Referral, Referral.id == QueueEntry.referral_id)
                    .where(Referral.reference == created["reference"])
                )
            )
        by_queue = {e.queue: e for e in entries}
        assert by_queue["hate_crime"].status == EntryStatus.transferred
        assert by_queue["asb_mediation"].status == EntryStatus.queued
        assert by_queue["asb_mediation"].transferred_from == by_queue["hate_crime"].id
        assert by_queue["asb_mediation"].deadline == by_queue["hate_crime"].deadline

    async def test_a_caseworker_cannot_reroute_a_returned_case(
        self,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        bot_headers: dict[str, str],
        caseworker: Login,
    ) -> None:
        await create_referral(client, bot_headers)
        await sign_in(browser, caseworker)
        case_url = (await post_form(browser, "/console", "/console/queues/hate_crime/claim")).headers[
            "location"
        ]
        await post_form(browser, case_url, case_url + "/return", reason="wrong_service")
        reply = await post_form(
            browser, "/console", case_url + "/transfer", target="asb_mediation", reason="other"
        )
        assert reply.status_code == 409


class TestSearch:
    async def test_by_phone_through_the_blind_index(
        self,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        bot_headers: dict[str, str],
        caseworker: Login,
    ) -> None:
        created = await create_referral(client, bot_headers, emergency_payload())
        await sign_in(browser, caseworker)
        found = await browser.get("/console/search", params={"q": "+44 7700 900456"})
        assert created["reference"] in found.text
        by_reference = await browser.get("/console/search", params={"q": created["reference"].lower()})
        assert created["reference"] in by_reference.text
        by_name = await browser.get("/console/search", params={"q": "Synthetic"})
        assert "No case in your queues matches." in by_name.text


class TestAccountsPage:
    async def test_admin_creates_and_disables(self, app: FastAPI, browser: httpx.AsyncClient) -> None:
        admin = await make_account(app, "admin", username="synthetic-admin")
        signed = await sign_in(browser, admin)
        assert signed.headers["location"] == "/console/admin/accounts"
        created = await post_form(
            browser,
            "/console/admin/accounts",
            "/console/admin/accounts",
            username="synthetic-new",
            name="Synthetic New",
            role="caseworker",
            queue="hate_crime",
        )
        assert created.status_code == 201
        assert "otpauth://" in created.text
        assert (await browser.get("/console")).status_code == 403  # an admin has no queues page


class TestErasure:
    async def test_erasing_a_case_removes_its_notes_and_alerts(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        bot_headers: dict[str, str],
        caseworker: Login,
        settings: Settings,
    ) -> None:
        created = await create_referral(client, bot_headers, emergency_payload())
        # No deadline lead: an emergency received 15:00-17:00 on a working day is due at 17:00, so its
        # deadline alert would join the emergency one depending on the hour the tests run.
        await run_once(app.state.sessionmaker, AlertSettings(_env_file=None, alert_deadline_lead_minutes=0))
        await sign_in(browser, caseworker)
        case_url = (await post_form(browser, "/console", "/console/queues/hate_crime/claim")).headers[
            "location"
        ]
        assert (await post_form(browser, case_url, case_url + "/note", text=NOTE)).status_code == 303
        async with app.state.sessionmaker() as session, session.begin():
            referral = await session.scalar(
                select(Referral).where(Referral.reference == created["reference"])
            )
            assert referral is not None
            counts = await disposal.erase_referral(
                session, settings, referral, now=utcnow(), reason="erasure_request"
            )
        assert counts["case_activity"] == 1 and counts["alert"] == 1
        async with app.state.sessionmaker() as session:
            assert list(await session.scalars(select(CaseActivity))) == []
            assert list(await session.scalars(select(Alert))) == []


class TestContactWarnings:
    async def test_a_number_shared_with_a_perpetrator_self_referral_warns_without_revealing_it(
        self,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        bot_headers: dict[str, str],
        caseworker: Login,
    ) -> None:
        victim = await create_referral(client, bot_headers, emergency_payload())
        perpetrator = await create_referral(
            client,
            bot_headers,
            referral_payload(
                person={"phone": "07700 900456", "sms_safe": True},
                answers={"incident_description": "Synthetic: asking for help with my behaviour"},
                triage={
                    "incident_type": "domestic_abuse",
                    "reporter_role": "perpetrator_self",
                    "consent": "given",
                    "age_years": 40,
                },
            ),
        )
        await sign_in(browser, caseworker)
        case_url = (await post_form(browser, "/console", "/console/queues/hate_crime/claim")).headers[
            "location"
        ]
        case = await browser.get(case_url)
        assert victim["reference"] in case.text
        assert "typed by the person and has not been verified" in case.text
        assert "also on another case as someone asking for help with their own abusive behaviour" in case.text
        assert perpetrator["reference"] not in case.text  # never which case
        assert "asking for help with my behaviour" not in case.text

    async def test_no_warning_for_a_number_on_no_other_case(
        self,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        bot_headers: dict[str, str],
        caseworker: Login,
    ) -> None:
        await create_referral(client, bot_headers, emergency_payload())
        await sign_in(browser, caseworker)
        case_url = (await post_form(browser, "/console", "/console/queues/hate_crime/claim")).headers[
            "location"
        ]
        case = await browser.get(case_url)
        assert "abusive behaviour" not in case.text
