"""Consent recorded at first contact, through the console's routes, for a police-feed case (lawful basis
`police_referral`, triage flag `consent_to_seek`): agreed makes a superseding grant receipt the case is held
on; declined closes the case on the never-taken-up retention path; a bad answer keeps nothing. Real SQLite,
real argon2 and TOTP, the feed imported through the admin API. Synthetic data only."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.consent import service as consent_service
from api.consent.models import ConsentReceipt, ConsentWording
from api.police_feed.csv_format import COLUMNS
from api.queue.models import CaseActivity, CloseOutcome, EntryStatus, QueueEntry
from api.referral.models import Referral
from api.retention.policy import RetentionClass
from tests.api.console.conftest import Login, make_account, post_form, sign_in
from tests.builders import bearer, create_principal, create_referral
from tests.pg import BOTH_DIALECTS, sqlite_or_postgresql

CRIME_REFERENCE = "SP/26/000917"


def feed_csv(**overrides: str) -> bytes:
    row = {
        "name": "Harper Testperson",
        "telephone": "07700 900471",
        "hate_racial_indicator": "Y",
        "crime_reference": CRIME_REFERENCE,
        "crime_description": "Synthetic: abuse shouted in the street",
        "date_received": "2026-11-20T10:00",
        **overrides,
    }
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerow([row.get(column, "") for column in COLUMNS])
    return out.getvalue().encode()


async def import_case(app: FastAPI, client: httpx.AsyncClient, **overrides: str) -> Referral:
    admin = bearer(await create_principal(app, "admin", "Synthetic admin"))
    reply = await client.post(
        "/v1/admin/police-feed", content=feed_csv(**overrides), headers={**admin, "content-type": "text/csv"}
    )
    assert reply.status_code == 200, reply.text
    async with app.state.sessionmaker() as session:
        referral = await session.scalar(select(Referral).where(Referral.source == "police_feed"))
    assert referral is not None
    assert "consent_to_seek" in referral.flags
    assert referral.queue == "hate_crime"
    return referral


async def reload(app: FastAPI, referral_id: uuid.UUID) -> tuple[Referral, list[QueueEntry]]:
    async with app.state.sessionmaker() as session:
        referral = await session.get(Referral, referral_id)
        entries = list(await session.scalars(select(QueueEntry).where(QueueEntry.referral_id == referral_id)))
    assert referral is not None
    return referral, entries


async def receipts(app: FastAPI) -> list[ConsentReceipt]:
    async with app.state.sessionmaker() as session:
        return list(await session.scalars(select(ConsentReceipt).order_by(ConsentReceipt.created_at)))


async def actions(app: FastAPI) -> list[str]:
    async with app.state.sessionmaker() as session:
        return [e.action for e in await session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]


FIRST_CONTACT = {
    "at": "2026-12-07T09:30",
    "channel": "phone",
    "outcome": "support_accepted",
    "identity_checked": "yes",
}
AGREED = {
    **FIRST_CONTACT,
    "consent": "agreed",
    "consent_language": "pl",
    "given_by": "person",
    "purpose_store_and_process": "yes",
    "purpose_share_with_provider": "yes",
    "purpose_contact_phone": "yes",
}


@pytest.fixture(params=BOTH_DIALECTS)
def database_url(request: pytest.FixtureRequest, database_url: str) -> Iterator[str]:
    """Every test here on SQLite and on PostgreSQL (tests/pg.py)."""
    yield from sqlite_or_postgresql(request, database_url)


@pytest.fixture
async def caseworker(app: FastAPI) -> Login:
    return await make_account(app, "caseworker", ["hate_crime"], username="synthetic-consent-cw")


async def claim(browser: httpx.AsyncClient, caseworker: Login) -> str:
    await sign_in(browser, caseworker)
    claimed = await post_form(browser, "/console", "/console/queues/hate_crime/claim")
    assert claimed.status_code == 303
    return str(claimed.headers["location"])


class TestConsentAgreedAtFirstContact:
    async def test_a_superseding_receipt_satisfies_consent_to_seek(
        self, app: FastAPI, client: httpx.AsyncClient, browser: httpx.AsyncClient, caseworker: Login
    ) -> None:
        referral = await import_case(app, client)
        police_receipt = referral.consent_receipt_id
        case_url = await claim(browser, caseworker)
        page = await browser.get(case_url)
        assert "Their consent" in page.text and "Do you agree?" in page.text
        assert "Not given yet: ask for it at first contact." in page.text

        reply = await post_form(browser, case_url, case_url + "/first-contact", **AGREED)
        assert reply.status_code == 303, reply.text
        assert reply.headers["location"] == case_url

        after, entries = await reload(app, referral.id)
        assert "consent_to_seek" not in after.flags
        assert after.consent_receipt_id != police_receipt
        assert entries[0].first_contact_at is not None
        police, grant = await receipts(app)
        assert police.id == police_receipt and police.lawful_basis == "police_referral"
        assert (grant.id, grant.kind, grant.supersedes_id) == (after.consent_receipt_id, "grant", police.id)
        assert (grant.lawful_basis, grant.channel, grant.given_by, grant.language) == (
            "consent",
            "first_contact",
            "person",
            "pl",
        )
        assert grant.purposes == ["store_and_process", "share_with_provider", "contact_phone"]
        async with app.state.sessionmaker() as session:
            wording = await session.get(ConsentWording, grant.wording_versions[0])
            assert wording is not None
            assert (wording.key, wording.language) == ("console.consent.script", "pl")
            assert "Czy się zgadzasz?" in wording.text  # the words read out, in the person's language
            # The receipt names who recorded it (sealed with the case's key, like an agency's referrer).
            referrer, erased = await consent_service.open_referrer(session, app.state.vault, grant, [after])
            assert not erased and referrer is not None
            assert referrer["name"] == "Synthetic caseworker" and referrer["organisation"] == "first_contact"
            activity = await session.scalar(select(CaseActivity).where(CaseActivity.kind == "first_contact"))
            assert activity is not None and activity.consent_given is True
        assert grant.referrer_sealed is not None and b"Synthetic caseworker" not in grant.referrer_sealed

        page = await browser.get(case_url)
        assert "Contact by phone call" in page.text  # the receipt's purposes on the case page
        assert "Given at first contact" in page.text and "Synthetic caseworker" in page.text
        assert "Their consent" not in page.text  # nothing left to ask
        assert "consent.first_contact" in await actions(app)

    async def test_withdrawing_the_new_grant_withdraws_the_case(
        self, app: FastAPI, client: httpx.AsyncClient, browser: httpx.AsyncClient, caseworker: Login
    ) -> None:
        referral = await import_case(app, client)
        case_url = await claim(browser, caseworker)
        assert (await post_form(browser, case_url, case_url + "/first-contact", **AGREED)).status_code == 303
        after, _ = await reload(app, referral.id)
        admin = bearer(await create_principal(app, "admin", "Synthetic admin two"))
        withdrawn = await client.post(
            f"/v1/consents/{after.consent_receipt_id}/withdraw",
            json={"reason": "person_request", "requested_by": "person"},
            headers=admin,
        )
        assert withdrawn.status_code == 201, withdrawn.text
        detail = await client.get(f"/v1/consents/{after.consent_receipt_id}", headers=admin)
        assert detail.json()["referral_references"] == [after.reference]
        assert detail.json()["personal_data_erased"] is False
        final, entries = await reload(app, referral.id)
        assert final.withdrawn_at is not None
        assert {e.status for e in entries} == {EntryStatus.withdrawn}

    async def test_the_subject_export_keeps_both_receipts(
        self, app: FastAPI, client: httpx.AsyncClient, browser: httpx.AsyncClient, caseworker: Login
    ) -> None:
        referral = await import_case(app, client)
        case_url = await claim(browser, caseworker)
        assert (await post_form(browser, case_url, case_url + "/first-contact", **AGREED)).status_code == 303
        dpo = bearer(await create_principal(app, "data_protection", "Synthetic DPO"))
        export = await client.post("/v1/rights/export", json={"reference": referral.reference}, headers=dpo)
        assert export.status_code == 200, export.text
        (case,) = export.json()["data"]["referrals"]
        assert [r["channel"] for r in case["consent_receipts"]] == ["police_feed", "first_contact"]


class TestConsentDeclinedAtFirstContact:
    async def test_the_case_closes_and_is_never_taken_up(
        self, app: FastAPI, client: httpx.AsyncClient, browser: httpx.AsyncClient, caseworker: Login
    ) -> None:
        referral = await import_case(app, client)
        case_url = await claim(browser, caseworker)
        # Accepted before asking: declining still puts it on the never-taken-up path.
        assert (await post_form(browser, case_url, case_url + "/accept")).status_code == 303
        reply = await post_form(
            browser,
            case_url,
            case_url + "/first-contact",
            **{**FIRST_CONTACT, "outcome": "support_declined", "consent": "declined"},
        )
        assert reply.status_code == 303, reply.text
        assert reply.headers["location"] == "/console"
        after, entries = await reload(app, referral.id)
        assert [(e.status, e.outcome) for e in entries] == [
            (EntryStatus.closed, CloseOutcome.consent_declined)
        ]
        assert entries[0].first_contact_at is not None
        assert after.retention_class == RetentionClass.consent_declined
        assert after.retention_from == after.received_at and after.closed_at is not None
        assert [r.channel for r in await receipts(app)] == ["police_feed"]  # no consent, no new receipt
        assert "consent_to_seek" in after.flags
        events = await actions(app)
        assert "consent.first_contact_declined" in events and "queue.close_declined" in events
        home = await browser.get("/console")
        assert referral.reference not in home.text


class TestRefusedAnswers:
    @pytest.mark.parametrize(
        "change",
        [
            {"consent": ""},  # not asked: the answer is required on a consent_to_seek case
            {"purpose_share_with_provider": ""},  # keeping without sharing is no case to work
            {"consent_language": "xx"},
            {"given_by": "agency"},
        ],
        ids=["no-answer", "no-sharing", "unknown-language", "agency-giver"],
    )
    async def test_nothing_is_kept(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        caseworker: Login,
        change: dict[str, str],
    ) -> None:
        referral = await import_case(app, client)
        case_url = await claim(browser, caseworker)
        reply = await post_form(browser, case_url, case_url + "/first-contact", **{**AGREED, **change})
        assert reply.status_code == 422
        after, entries = await reload(app, referral.id)
        assert entries[0].first_contact_at is None
        assert after.consent_receipt_id == referral.consent_receipt_id
        assert "consent_to_seek" in after.flags
        assert len(await receipts(app)) == 1

    async def test_a_parent_cannot_consent_for_an_adult(
        self, app: FastAPI, client: httpx.AsyncClient, browser: httpx.AsyncClient, caseworker: Login
    ) -> None:
        referral = await import_case(app, client, date_of_birth="1990-04-02")
        case_url = await claim(browser, caseworker)
        reply = await post_form(
            browser, case_url, case_url + "/first-contact", **{**AGREED, "given_by": "parent_guardian"}
        )
        assert reply.status_code == 422
        assert "does not fit the person&#39;s age" in reply.text
        _, entries = await reload(app, referral.id)
        assert entries[0].first_contact_at is None
        assert len(await receipts(app)) == 1

    async def test_a_case_with_consent_is_not_asked_again(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        caseworker: Login,
        bot_headers: dict[str, str],
    ) -> None:
        await create_referral(client, bot_headers)
        case_url = await claim(browser, caseworker)
        page = await browser.get(case_url)
        assert "Their consent" not in page.text
        # A consent answer sent anyway is ignored: the chat's receipt stands.
        reply = await post_form(browser, case_url, case_url + "/first-contact", **AGREED)
        assert reply.status_code == 303
        assert [r.channel for r in await receipts(app)] == ["web_chat"]
