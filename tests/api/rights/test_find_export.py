"""Finding and exporting everything held about a person: by phone, e-mail, case reference and police
crime reference, across referrals, consent receipts, queue entries, SMS rows and conversations. The
export holds every canary of that person and none of another's; every act is audited without values."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from api.auth import Caller
from api.principal.models import Principal, PrincipalKind
from api.queue import activity
from api.queue.models import AttemptOutcome, ContactChannel, EntryStatus, QueueEntry
from api.referral.models import Referral
from api.referral.service import external_ref_index
from flowkit.flows import question_by_id
from tests.api.rights.helpers import Person, audit_events, dpo_headers, make_person
from tests.pg import BOTH_DIALECTS, sqlite_or_postgresql

ALPHA_PHONE = "07700 900111"
BRAVO_PHONE = "07700 900222"


@pytest.fixture(params=BOTH_DIALECTS)
def database_url(request: pytest.FixtureRequest, database_url: str) -> Iterator[str]:
    """Every test here on SQLite and on PostgreSQL (tests/pg.py)."""
    yield from sqlite_or_postgresql(request, database_url)


@pytest.fixture
async def people(
    app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
) -> tuple[Person, Person]:
    alpha = await make_person(app, client, bot_headers, "Alphacanary", ALPHA_PHONE)
    bravo = await make_person(app, client, bot_headers, "Bravocanary", BRAVO_PHONE)
    return alpha, bravo


class TestFind:
    async def test_by_phone_finds_every_store(
        self, app: FastAPI, client: httpx.AsyncClient, people: tuple[Person, Person]
    ) -> None:
        alpha, _ = people
        reply = await client.post(
            "/v1/rights/find", json={"phone": ALPHA_PHONE}, headers=await dpo_headers(app)
        )
        assert reply.status_code == 200, reply.text
        assert reply.json() == {
            "references": alpha.references,
            "referrals": 2,
            "consent_receipts": 2,
            "queue_entries": 2,
            "sms_contacts": 1,
            "sms_inbound": 1,
            "sms_outbound": 0,
            "conversations": 0,  # the referrals came through the API, not a conversation row
            "transcript_messages": 4,  # what the person typed and the bot's replies, in both conversations
        }

    @pytest.mark.parametrize("lookup", ["email", "reference", "crime_reference"])
    async def test_every_way_finds_the_same_person(
        self, app: FastAPI, client: httpx.AsyncClient, people: tuple[Person, Person], lookup: str
    ) -> None:
        alpha, _ = people
        async with app.state.sessionmaker() as session, session.begin():
            await session.execute(
                update(Referral)
                .where(Referral.reference == alpha.references[1])
                # As the police feed stores a crime reference: found by its blind index only.
                .values(external_ref_index=external_ref_index(app.state.vault, "POL/42/2026"))
            )
        value = {
            "email": f"  {alpha.email.title()} ",  # trimmed and case-folded like the stored index
            "reference": alpha.references[0],
            "crime_reference": "POL/42/2026",
        }[lookup]
        reply = await client.post("/v1/rights/find", json={lookup: value}, headers=await dpo_headers(app))
        assert reply.status_code == 200, reply.text
        # The contact details of the case found bring the person's other case and texts with it.
        assert reply.json()["references"] == alpha.references
        assert reply.json()["sms_inbound"] == 1

    async def test_a_stranger_is_nothing_held(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        headers = await dpo_headers(app)
        found = await client.post("/v1/rights/find", json={"phone": "07700 900999"}, headers=headers)
        assert found.status_code == 200
        assert found.json()["references"] == [] and found.json()["sms_contacts"] == 0
        exported = await client.post("/v1/rights/export", json={"phone": "07700 900999"}, headers=headers)
        assert exported.status_code == 404
        assert exported.json()["error"] == "nothing_held"

    @pytest.mark.parametrize(
        "body", [{}, {"phone": "07700 900111", "email": "a@example.org"}, {"phone": "not a number"}]
    )
    async def test_exactly_one_valid_way(
        self, app: FastAPI, client: httpx.AsyncClient, body: dict[str, str]
    ) -> None:
        reply = await client.post("/v1/rights/find", json=body, headers=await dpo_headers(app))
        assert reply.status_code == 422
        assert "07700" not in reply.text  # the value is never echoed


class TestExport:
    async def test_holds_every_canary_of_the_person_and_none_of_another(
        self, app: FastAPI, client: httpx.AsyncClient, people: tuple[Person, Person]
    ) -> None:
        alpha, bravo = people
        reply = await client.post(
            "/v1/rights/export", json={"phone": ALPHA_PHONE}, headers=await dpo_headers(app)
        )
        assert reply.status_code == 200, reply.text
        whole = json.dumps(reply.json(), ensure_ascii=False)
        data = json.dumps(reply.json()["data"], ensure_ascii=False)
        document = reply.json()["document"]
        for canary in alpha.canaries:
            assert canary in data, canary
            assert canary in document, canary
        for canary in bravo.canaries:
            assert canary not in whole, canary
        assert [case["reference"] for case in reply.json()["data"]["referrals"]] == alpha.references
        assert reply.json()["data"]["sms"]["contacts"][0]["phone"] == "+447700900111"

    async def test_holds_the_notes_and_contact_attempts_on_the_persons_case(
        self, app: FastAPI, client: httpx.AsyncClient, people: tuple[Person, Person]
    ) -> None:
        alpha, bravo = people
        note, attempt = "Synthetic: Alphacanary-note", "Synthetic: Alphacanary-attempt"
        async with app.state.sessionmaker() as session, session.begin():
            caseworker = Caller(uuid.uuid4(), PrincipalKind.provider, "Synthetic Caseworker", frozenset())
            session.add(
                Principal(
                    id=caseworker.id, kind="provider", name=caseworker.name, queues=[], token_hash="0" * 64
                )
            )
            for reference, text in ((alpha.references[0], note), (bravo.references[0], "Bravocanary-note")):
                entry = await session.scalar(
                    select(QueueEntry).join(Referral).where(Referral.reference == reference).limit(1)
                )
                assert entry is not None
                entry.status, entry.claimed_by = EntryStatus.accepted, caseworker.id
                await activity.add_note(session, app.state.vault, caseworker, entry, text)
            alpha_entry = await session.scalar(
                select(QueueEntry).join(Referral).where(Referral.reference == alpha.references[0]).limit(1)
            )
            assert alpha_entry is not None
            await activity.record_attempt(
                session,
                app.state.vault,
                caseworker,
                alpha_entry,
                ContactChannel.phone,
                AttemptOutcome.no_answer,
                attempt,
            )
        reply = await client.post(
            "/v1/rights/export", json={"phone": ALPHA_PHONE, "language": "en"}, headers=await dpo_headers(app)
        )
        assert reply.status_code == 200, reply.text
        [case] = [c for c in reply.json()["data"]["referrals"] if c["reference"] == alpha.references[0]]
        assert [(a["kind"], a["text"]) for a in case["case_activity"]] == [
            ("note", note),
            ("attempt", attempt),
        ]
        assert case["case_activity"][1]["channel"] == "phone"
        assert case["case_activity"][1]["outcome"] == "no_answer"
        whole = json.dumps(reply.json(), ensure_ascii=False)
        assert "Synthetic Caseworker" not in whole  # staff, not the person's data
        assert "Bravocanary-note" not in whole
        document = reply.json()["document"]
        assert "Notes and contact by the service that took your case:" in document
        assert f": Note\n  {note}" in document and f": Attempt to contact you\n  {attempt}" in document

    async def test_the_document_is_in_the_persons_language(
        self, app: FastAPI, client: httpx.AsyncClient, people: tuple[Person, Person]
    ) -> None:
        alpha, _ = people
        headers = await dpo_headers(app)
        # The newest case was in English; the request may name the language the person asked in.
        reply = await client.post(
            "/v1/rights/export", json={"reference": alpha.references[0], "language": "pl"}, headers=headers
        )
        assert reply.status_code == 200, reply.text
        assert (reply.json()["language"], reply.json()["direction"]) == ("pl", "ltr")
        document = reply.json()["document"]
        assert document.startswith("Jakie informacje o Tobie przechowujemy")
        assert f"Zgłoszenie {alpha.references[0]}" in document
        # An answer is labelled with its question's own words, a choice with its button's.
        assert "- Imię i nazwisko: Alphacanary-name" in document
        translator = app.state.translator
        asked = translator.t(question_by_id("incident_description").text_key, "pl")
        assert f"- {asked}\n  Synthetic: Alphacanary-web-story" in document
        [race] = [c for c in question_by_id("hate_strand").choices or () if c.value == "race"]
        assert f"\n  {translator.t(race.text_key, 'pl')}\n" in document
        arabic = await client.post(
            "/v1/rights/export", json={"reference": alpha.references[0], "language": "ar"}, headers=headers
        )
        assert (arabic.json()["language"], arabic.json()["direction"]) == ("ar", "rtl")
        assert arabic.json()["document"].startswith("المعلومات التي نحتفظ بها عنك")

    async def test_audited_without_the_value(
        self, app: FastAPI, client: httpx.AsyncClient, people: tuple[Person, Person]
    ) -> None:
        reply = await client.post(
            "/v1/rights/export", json={"phone": ALPHA_PHONE}, headers=await dpo_headers(app)
        )
        assert reply.status_code == 200
        events = [e for e in await audit_events(app) if e.action == "rights.export"]
        assert len(events) == 2 and {e.principal_kind for e in events} == {"data_protection"}
        assert {e.reason for e in events} == {"lookup=phone"}
        for event in await audit_events(app):
            assert "900111" not in event.reason and "Alphacanary" not in event.reason
