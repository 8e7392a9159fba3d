"""Versioned re-triage in the team lead's inbox, through the console's routes: a returned case re-routed
with changed answers gets a new decision kept beside the first (sealed, never overwriting it), goes to the
new decision's queue, and its case page shows both decisions with who, when and why. Real SQLite, real
argon2 and TOTP. Synthetic data only."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.queue.models import EntryStatus, QueueEntry
from api.referral import service as referral_service
from api.referral.models import DecisionVersion, Referral
from tests.api.console.conftest import Login, make_account, post_form, sign_in
from tests.builders import create_referral
from tests.pg import BOTH_DIALECTS, sqlite_or_postgresql

# The answers a "wrong service" return concerns, as the form sends them: now anti-social behaviour by a
# neighbour, no hate strand ticked.
TO_ASB = {
    "incident_type": "asb",
    "relationship": "neighbour",
    "age_years": "",
    "lives_in_area": "yes",
    "mediation_requested": "no",
}


@pytest.fixture(params=BOTH_DIALECTS)
def database_url(request: pytest.FixtureRequest, database_url: str) -> Iterator[str]:
    """Every test here on SQLite and on PostgreSQL (tests/pg.py)."""
    yield from sqlite_or_postgresql(request, database_url)


@pytest.fixture
async def caseworker(app: FastAPI) -> Login:
    return await make_account(app, "caseworker", ["hate_crime"], username="synthetic-rt-cw")


@pytest.fixture
async def lead(app: FastAPI) -> Login:
    return await make_account(app, "team_lead", ["hate_crime"], username="synthetic-rt-lead")


async def returned_case(
    client: httpx.AsyncClient,
    browser: httpx.AsyncClient,
    bot_headers: dict[str, str],
    caseworker: Login,
    reason: str = "wrong_service",
) -> tuple[str, str]:
    created = await create_referral(client, bot_headers)
    await sign_in(browser, caseworker)
    case_url = (await post_form(browser, "/console", "/console/queues/hate_crime/claim")).headers["location"]
    returned = await post_form(browser, case_url, case_url + "/return", reason=reason, note="Synthetic: ASB")
    assert returned.status_code == 303
    return str(created["reference"]), str(case_url)


async def case_rows(app: FastAPI, reference: str) -> tuple[Referral, list[QueueEntry], list[DecisionVersion]]:
    async with app.state.sessionmaker() as session:
        referral = await session.scalar(select(Referral).where(Referral.reference == reference))
        assert referral is not None
        entries = list(
            await session.scalars(
                select(QueueEntry)
                .where(QueueEntry.referral_id == referral.id)
                .order_by(QueueEntry.created_at)
            )
        )
        versions = list(
            await session.scalars(select(DecisionVersion).where(DecisionVersion.referral_id == referral.id))
        )
    return referral, entries, versions


class TestRetriage:
    async def test_a_new_decision_beside_the_first_and_the_case_in_its_queue(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        other_browser: httpx.AsyncClient,
        bot_headers: dict[str, str],
        caseworker: Login,
        lead: Login,
    ) -> None:
        reference, case_url = await returned_case(client, browser, bot_headers, caseworker)
        before, _, _ = await case_rows(app, reference)

        await sign_in(other_browser, lead)
        page = await other_browser.get(case_url)
        assert page.status_code == 200
        assert "Re-triage with changed answers" in page.text
        assert 'name="incident_type"' in page.text and 'name="hate_strands.race"' in page.text
        assert 'name="immediate_danger"' not in page.text  # not what a wrong-service return concerns
        reply = await post_form(other_browser, case_url, case_url + "/retriage", **TO_ASB)
        assert reply.status_code == 303, reply.text
        assert reply.headers["location"] == "/console/inbox"  # the new queue is not the lead's

        after, entries, versions = await case_rows(app, reference)
        assert after.decision_sealed == before.decision_sealed  # the first decision, untouched
        assert after.triage_input_sealed == before.triage_input_sealed
        (version,) = versions
        assert (version.version, version.reason, version.queue) == (2, "wrong_service", "asb_mediation")
        assert version.changed == ["incident_type", "relationship", "hate_strands"]
        assert b"neighbour" not in version.triage_input_sealed  # sealed like the first
        async with app.state.sessionmaker() as session:
            made = await referral_service.decisions(session, app.state.vault, after)
        assert [d.queue for d in made] == ["hate_crime", "asb_mediation"]
        assert made[1].triage_input["relationship"] == "neighbour"
        assert made[1].triage_input["hate_strands"] == []
        assert after.queue == "asb_mediation" and after.deadline == before.deadline
        assert [(e.queue, e.status) for e in entries] == [
            ("hate_crime", EntryStatus.transferred),
            ("asb_mediation", EntryStatus.queued),
        ]
        assert entries[1].transferred_from == entries[0].id
        async with app.state.sessionmaker() as session:
            events = list(
                await session.scalars(select(AuditEvent).where(AuditEvent.action == "triage.retriage"))
            )
        assert (
            len(events) == 1
            and "version=2 from=hate_crime to=asb_mediation reason=wrong_service changed=3"
            in events[0].reason
        )
        assert "neighbour" not in events[0].reason

        # The new queue's caseworker sees both decisions, with who, when and why.
        asb = await make_account(app, "caseworker", ["asb_mediation"], username="synthetic-rt-asb")
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="https://testserver"
        ) as third:
            await sign_in(third, asb)
            claimed = await post_form(third, "/console", "/console/queues/asb_mediation/claim")
            assert claimed.status_code == 303
            shown = await third.get(claimed.headers["location"])
        assert "Triage decisions, oldest first" in shown.text
        assert "Decision 1: triage when the case arrived" in shown.text
        assert "Decision 2: re-triaged" in shown.text and "Synthetic team lead" in shown.text
        assert "Because: Wrong service" in shown.text
        assert (
            "Answers changed: What happened, Who did it, to them, Hate: what they were targeted for"
            in shown.text
        )
        assert "Anti-social behaviour: the ASB and mediation service." in shown.text  # the new reasons

    async def test_the_same_queue_again_when_more_information_changes_the_priority(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        other_browser: httpx.AsyncClient,
        bot_headers: dict[str, str],
        caseworker: Login,
        lead: Login,
    ) -> None:
        reference, case_url = await returned_case(
            client, browser, bot_headers, caseworker, reason="needs_more_information"
        )
        before, _, _ = await case_rows(app, reference)
        await sign_in(other_browser, lead)
        reply = await post_form(
            other_browser,
            case_url,
            case_url + "/retriage",
            immediate_danger="unsure",
            child_safeguarding_concern="no",
            repeat_targeting="yes",
            age_years="",
        )
        assert reply.status_code == 303, reply.text
        after, entries, versions = await case_rows(app, reference)
        assert [v.changed for v in versions] == [["immediate_danger", "repeat_targeting"]]
        assert after.priority == "high"  # safety unclear: contacted the same working day
        assert after.deadline is not None and before.deadline is not None
        assert after.deadline <= before.deadline  # never later than the person was promised
        assert [(e.queue, e.status) for e in entries] == [
            ("hate_crime", EntryStatus.transferred),
            ("hate_crime", EntryStatus.queued),
        ]
        assert reply.headers["location"] == f"/console/cases/{entries[1].id}"

    async def test_unchanged_answers_keep_nothing(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        other_browser: httpx.AsyncClient,
        bot_headers: dict[str, str],
        caseworker: Login,
        lead: Login,
    ) -> None:
        reference, case_url = await returned_case(client, browser, bot_headers, caseworker)
        await sign_in(other_browser, lead)
        same = {**TO_ASB, "incident_type": "hate", "relationship": "unknown", "hate_strands.race": "yes"}
        reply = await post_form(other_browser, case_url, case_url + "/retriage", **same)
        assert reply.status_code == 422
        assert "None of the answers changed" in reply.text
        _, entries, versions = await case_rows(app, reference)
        assert versions == []
        assert [e.status for e in entries] == [EntryStatus.returned]

    async def test_a_duplicate_is_not_retriaged(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        other_browser: httpx.AsyncClient,
        bot_headers: dict[str, str],
        caseworker: Login,
        lead: Login,
    ) -> None:
        reference, case_url = await returned_case(
            client, browser, bot_headers, caseworker, reason="duplicate"
        )
        await sign_in(other_browser, lead)
        page = await other_browser.get(case_url)
        assert "Re-triage with changed answers" not in page.text
        reply = await post_form(other_browser, case_url, case_url + "/retriage", **TO_ASB)
        assert reply.status_code == 409
        _, _, versions = await case_rows(app, reference)
        assert versions == []

    async def test_a_caseworker_cannot_retriage(
        self,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        bot_headers: dict[str, str],
        caseworker: Login,
    ) -> None:
        _, case_url = await returned_case(client, browser, bot_headers, caseworker)
        reply = await post_form(browser, "/console", case_url + "/retriage", **TO_ASB)
        assert reply.status_code == 403
