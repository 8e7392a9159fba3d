"""Creating and reading referrals: consent, triage, encryption, idempotency, access."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from api.consent.models import ConsentReceipt
from api.queue.models import QueueEntry
from api.referral.models import Referral
from api.referral.service import triage_input_of
from tests.builders import (
    agency_referral_payload,
    bearer,
    create_principal,
    referral_payload,
    shown_consent_versions,
)


async def count(app: FastAPI, model: type) -> int:
    async with app.state.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


class TestCreate:
    async def test_hate_crime_self_referral_is_queued_with_its_receipt(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        payload = referral_payload()
        payload["consent"]["wording_versions"] = await shown_consent_versions(client, bot_headers)
        reply = await client.post("/v1/referrals", json=payload, headers=bot_headers)
        assert reply.status_code == 201, reply.text
        body = reply.json()
        assert body["reference"].startswith("SR-")
        assert (body["outcome"], body["queue"], body["tier"]) == ("referred", "hate_crime", "enhanced")
        assert body["deadline"].endswith("T17:00:00+00:00") or body["deadline"].endswith("T17:00:00+01:00")
        async with app.state.sessionmaker() as session:
            referral = await session.scalar(select(Referral))
            receipt = await session.scalar(select(ConsentReceipt))
            entry = await session.scalar(select(QueueEntry))
        assert referral is not None and receipt is not None and entry is not None
        assert referral.consent_receipt_id == receipt.id
        assert receipt.wording_versions == payload["consent"]["wording_versions"]
        assert (receipt.given_by, receipt.channel, receipt.language) == ("person", "web_chat", "en")
        assert (entry.queue, entry.status) == ("hate_crime", "queued")
        assert triage_input_of(app.state.vault, referral)["consent"] == "given"
        assert referral.rules_version == body["rules_version"]

    async def test_personal_fields_are_not_stored_in_plaintext(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str], database_url: str
    ) -> None:
        canary = "Synthetic canary Zyxwvut Quokka"
        payload = referral_payload(
            answers={"incident_description": canary, "incident_when": "today", "hate_strand": "race"}
        )
        payload["person"]["name"] = canary
        payload["consent"]["wording_versions"] = await shown_consent_versions(client, bot_headers)
        reply = await client.post("/v1/referrals", json=payload, headers=bot_headers)
        assert reply.status_code == 201
        path = Path(database_url.removeprefix("sqlite+aiosqlite:///"))
        with sqlite3.connect(path) as raw:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        stored = b"".join(p.read_bytes() for p in path.parent.glob("api.db*"))
        assert canary.encode() not in stored
        assert b"900123" not in stored
        owner = await create_principal(app, "admin", "Synthetic admin")
        detail = await client.get(f"/v1/referrals/{reply.json()['reference']}", headers=bearer(owner))
        assert detail.json()["answers"]["incident_description"] == canary
        assert detail.json()["person"]["phone"] == "+447700900123"

    async def test_consent_refused_keeps_nothing(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        payload = referral_payload()
        payload["consent"]["purposes"] = []
        payload["consent"]["wording_versions"] = await shown_consent_versions(client, bot_headers)
        reply = await client.post("/v1/referrals", json=payload, headers=bot_headers)
        assert reply.status_code == 200
        assert (reply.json()["outcome"], reply.json()["reference"]) == ("signposted", None)
        assert await count(app, Referral) == 0
        assert await count(app, ConsentReceipt) == 0

    async def test_agency_referral_without_attested_consent_is_refused_and_nothing_stored(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        agency = await create_principal(app, "agency", "Synthetic housing team")
        payload = agency_referral_payload()
        payload["consent"].update(given_by="person", referrer=None)
        payload["consent"]["wording_versions"] = await shown_consent_versions(client, bot_headers)
        reply = await client.post("/v1/referrals", json=payload, headers=bearer(agency))
        assert reply.status_code == 422
        assert reply.json()["error"] == "consent_required"
        assert await count(app, Referral) == 0
        assert await count(app, ConsentReceipt) == 0

    async def test_unknown_consent_wording_is_refused(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        payload = referral_payload()
        payload["consent"]["wording_versions"] = ["a" * 64]
        reply = await client.post("/v1/referrals", json=payload, headers=bot_headers)
        assert reply.status_code == 422
        assert reply.json()["error"] == "unknown_consent_wording"
        assert await count(app, Referral) == 0

    async def test_invalid_phone_names_the_field(
        self, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        payload = referral_payload(person={"phone": "12"})
        reply = await client.post("/v1/referrals", json=payload, headers=bot_headers)
        assert reply.status_code == 422
        assert "person.phone" in [problem["field"] for problem in reply.json()["detail"]]

    async def test_unknown_triage_field_is_refused(
        self, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        payload = referral_payload(triage={"incident_type": "hate", "colour": "blue"})
        reply = await client.post("/v1/referrals", json=payload, headers=bot_headers)
        assert reply.status_code == 422
        assert "triage.colour" in [problem["field"] for problem in reply.json()["detail"]]

    async def test_a_provider_may_not_create(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        provider = await create_principal(app, "provider", "Synthetic provider", ["hate_crime"])
        reply = await client.post("/v1/referrals", json=referral_payload(), headers=bearer(provider))
        assert reply.status_code == 403


class TestIdempotency:
    async def test_replay_returns_the_first_response_byte_for_byte(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        payload = referral_payload()
        payload["consent"]["wording_versions"] = await shown_consent_versions(client, bot_headers)
        headers = {**bot_headers, "Idempotency-Key": "test-key-0001"}
        first = await client.post("/v1/referrals", json=payload, headers=headers)
        second = await client.post("/v1/referrals", json=payload, headers=headers)
        assert first.status_code == second.status_code == 201
        assert first.content == second.content
        assert await count(app, Referral) == 1

    async def test_same_key_with_another_body_is_refused(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        payload = referral_payload()
        payload["consent"]["wording_versions"] = await shown_consent_versions(client, bot_headers)
        headers = {**bot_headers, "Idempotency-Key": "test-key-0002"}
        await client.post("/v1/referrals", json=payload, headers=headers)
        payload["answers"]["incident_when"] = "last week"
        reply = await client.post("/v1/referrals", json=payload, headers=headers)
        assert reply.status_code == 422
        assert reply.json()["error"] == "idempotency_key_reused"
        assert await count(app, Referral) == 1


class TestRead:
    async def test_providers_see_only_cases_in_their_queues(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        payload = referral_payload()
        payload["consent"]["wording_versions"] = await shown_consent_versions(client, bot_headers)
        reference = (await client.post("/v1/referrals", json=payload, headers=bot_headers)).json()[
            "reference"
        ]
        mine = await create_principal(app, "provider", "Synthetic hate crime team", ["hate_crime"])
        other = await create_principal(app, "provider", "Synthetic ASB team", ["asb_mediation"])
        assert (await client.get(f"/v1/referrals/{reference}", headers=bearer(mine))).status_code == 200
        hidden = await client.get(f"/v1/referrals/{reference}", headers=bearer(other))
        assert hidden.status_code == 404
        assert hidden.json()["error"] == "referral_not_found"


class TestChildConsent:
    """The bot's side of who consents for a child (api/consent/giver.py): the child answered themselves."""

    async def create(
        self, client: httpx.AsyncClient, bot_headers: dict[str, str], triage: dict[str, object]
    ) -> httpx.Response:
        payload = referral_payload(triage={"consent": "given", **triage})
        payload["consent"]["wording_versions"] = await shown_consent_versions(client, bot_headers)
        return await client.post("/v1/referrals", json=payload, headers=bot_headers)

    async def receipt(self, app: FastAPI) -> ConsentReceipt | None:
        async with app.state.sessionmaker() as session:
            return await session.scalar(select(ConsentReceipt))

    async def test_a_young_person_of_13_or_over_is_recorded_as_gillick_competent(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        reply = await self.create(client, bot_headers, {"incident_type": "hate", "age_years": 15})
        assert reply.status_code == 201, reply.text
        receipt = await self.receipt(app)
        assert receipt is not None
        assert (receipt.given_by, receipt.lawful_basis) == ("young_person_gillick", "consent")

    async def test_an_adult_is_the_person(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        reply = await self.create(client, bot_headers, {"incident_type": "hate", "age_years": 18})
        assert reply.status_code == 201, reply.text
        receipt = await self.receipt(app)
        assert receipt is not None and receipt.given_by == "person"

    async def test_under_13_alone_with_no_safeguarding_concern_keeps_nothing(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        reply = await self.create(client, bot_headers, {"incident_type": "hate", "age_years": 11})
        assert reply.status_code == 200, reply.text
        assert (reply.json()["outcome"], reply.json()["reference"]) == ("signposted", None)
        assert await count(app, Referral) == 0
        assert await count(app, ConsentReceipt) == 0

    async def test_under_13_with_a_safeguarding_concern_proceeds_on_a_safeguarding_basis(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        reply = await self.create(
            client,
            bot_headers,
            {"incident_type": "domestic_abuse", "age_years": 11, "child_safeguarding_concern": True},
        )
        assert reply.status_code == 201, reply.text
        assert reply.json()["queue"] == "children_front_door"
        assert "consent_to_seek" in reply.json()["flags"]
        receipt = await self.receipt(app)
        assert receipt is not None
        assert (receipt.given_by, receipt.lawful_basis) == ("person", "safeguarding")
