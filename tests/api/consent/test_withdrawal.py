"""Consent withdrawal and reading a receipt, through the ASGI client."""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from api.audit.models import AuditEvent
from api.consent.models import ConsentReceipt
from api.queue.models import QueueEntry
from api.referral.models import Referral
from tests.builders import (
    agency_referral_payload,
    bearer,
    create_principal,
    create_referral,
    referral_payload,
)

WITHDRAW = {"reason": "person_request", "requested_by": "person"}


async def receipts(app: FastAPI) -> list[ConsentReceipt]:
    async with app.state.sessionmaker() as session:
        return list(await session.scalars(select(ConsentReceipt).order_by(ConsentReceipt.created_at)))


async def referral(app: FastAPI, reference: str) -> Referral:
    async with app.state.sessionmaker() as session:
        found = await session.scalar(select(Referral).where(Referral.reference == reference))
    assert found is not None
    return found


async def entries(app: FastAPI, reference: str) -> list[QueueEntry]:
    async with app.state.sessionmaker() as session:
        rows = await session.scalars(
            select(QueueEntry)
            .join(Referral, Referral.id == QueueEntry.referral_id)
            .where(Referral.reference == reference)
        )
        return list(rows)


async def audit_actions(app: FastAPI) -> list[str]:
    async with app.state.sessionmaker() as session:
        return list(await session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


async def bot_case(client: httpx.AsyncClient, bot_headers: dict[str, str], **triage: Any) -> dict[str, Any]:
    payload = referral_payload()
    payload["triage"].update(triage)
    created = await create_referral(client, bot_headers, payload)
    created["conversation_id"] = payload["conversation_id"]
    return created


def withdraw_path(created: dict[str, Any]) -> str:
    return f"/v1/consents/{created['consent_receipt_id']}/withdraw"


class TestWithdrawByTheBot:
    async def test_appends_a_withdrawal_and_takes_the_case_out_of_every_queue(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        # A child with a safeguarding concern: queued twice (children's front door and hate crime).
        created = await bot_case(client, bot_headers, age_years=12, child_safeguarding_concern=True)
        assert len(await entries(app, created["reference"])) == 2
        reply = await client.post(
            withdraw_path(created),
            json={**WITHDRAW, "conversation_id": created["conversation_id"]},
            headers=bot_headers,
        )
        assert reply.status_code == 201, reply.text
        body = reply.json()
        assert body["kind"] == "withdrawal"
        assert body["supersedes_id"] == created["consent_receipt_id"]
        assert body["given_by"] == "person"
        assert body["channel"] == "web_chat"
        assert body["purposes"] == [
            "store_and_process",
            "share_with_provider",
            "contact_phone",
            "contact_sms",
        ]
        grant, withdrawal = await receipts(app)
        assert (grant.kind, str(grant.id)) == ("grant", created["consent_receipt_id"])
        assert str(withdrawal.id) == body["id"]
        assert (await referral(app, created["reference"])).withdrawn_at is not None
        assert {e.status for e in await entries(app, created["reference"])} == {"withdrawn"}

    async def test_the_case_disappears_for_providers(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        created = await bot_case(client, bot_headers)
        provider = bearer(
            await create_principal(app, "provider", "Synthetic hate crime team", ["hate_crime"])
        )
        await client.post(
            withdraw_path(created),
            json={**WITHDRAW, "conversation_id": created["conversation_id"]},
            headers=bot_headers,
        )
        listed = await client.get("/v1/queues/hate_crime/cases", headers=provider)
        assert listed.json()["items"] == []
        claimed = await client.post("/v1/queues/hate_crime/claim", headers=provider)
        assert claimed.status_code == 404
        read = await client.get(f"/v1/referrals/{created['reference']}", headers=provider)
        assert read.status_code == 404

    async def test_a_claimed_case_is_withdrawn_and_its_lease_ends(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        created = await bot_case(client, bot_headers)
        provider = bearer(await create_principal(app, "provider", "Synthetic caseworker", ["hate_crime"]))
        assert (await client.post("/v1/queues/hate_crime/claim", headers=provider)).status_code == 200
        await client.post(
            withdraw_path(created),
            json={**WITHDRAW, "conversation_id": created["conversation_id"]},
            headers=bot_headers,
        )
        (entry,) = await entries(app, created["reference"])
        assert (entry.status, entry.lease_expires_at) == ("withdrawn", None)
        accepted = await client.post(f"/v1/queues/hate_crime/cases/{entry.id}/accept", headers=provider)
        assert accepted.status_code in (404, 409)

    async def test_withdrawing_twice_returns_the_first_withdrawal(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        created = await bot_case(client, bot_headers)
        body = {**WITHDRAW, "conversation_id": created["conversation_id"]}
        first = await client.post(withdraw_path(created), json=body, headers=bot_headers)
        second = await client.post(withdraw_path(created), json=body, headers=bot_headers)
        assert (first.status_code, second.status_code) == (201, 200)
        assert first.content == second.content
        assert [r.kind for r in await receipts(app)] == ["grant", "withdrawal"]
        actions = await audit_actions(app)
        assert actions.count("consent.withdraw") == 1
        assert actions.count("consent.withdraw_repeated") == 1

    async def test_the_bot_must_name_the_conversation_the_consent_was_given_in(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        created = await bot_case(client, bot_headers)
        unnamed = await client.post(withdraw_path(created), json=WITHDRAW, headers=bot_headers)
        other = await client.post(
            withdraw_path(created), json={**WITHDRAW, "conversation_id": "w_another"}, headers=bot_headers
        )
        assert (unnamed.status_code, other.status_code) == (404, 404)
        assert unnamed.json()["error"] == "consent_not_found"
        assert [r.kind for r in await receipts(app)] == ["grant"]
        assert {e.status for e in await entries(app, created["reference"])} == {"queued"}

    async def test_the_bot_may_not_withdraw_an_agency_referral(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        agency = bearer(await create_principal(app, "agency", "Synthetic housing team"))
        created = await create_referral(client, bot_headers, agency_referral_payload(), as_headers=agency)
        receipt = (await receipts(app))[0]
        assert receipt.conversation_id is None
        reply = await client.post(
            withdraw_path(created), json={**WITHDRAW, "conversation_id": "anything"}, headers=bot_headers
        )
        assert reply.status_code == 404


class TestWithdrawByOthers:
    async def test_the_referring_agency_may_withdraw_its_own_referral(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        agency = bearer(await create_principal(app, "agency", "Synthetic housing team"))
        created = await create_referral(client, bot_headers, agency_referral_payload(), as_headers=agency)
        reply = await client.post(
            withdraw_path(created),
            json={"reason": "support_elsewhere", "requested_by": "agency"},
            headers=agency,
        )
        assert reply.status_code == 201, reply.text
        assert (reply.json()["given_by"], reply.json()["channel"]) == ("agency", "agency")

    async def test_another_agency_sees_nothing(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        mine = bearer(await create_principal(app, "agency", "Synthetic housing team"))
        theirs = bearer(await create_principal(app, "agency", "Synthetic school"))
        created = await create_referral(client, bot_headers, agency_referral_payload(), as_headers=mine)
        reply = await client.post(withdraw_path(created), json=WITHDRAW, headers=theirs)
        assert reply.status_code == 404
        assert [r.kind for r in await receipts(app)] == ["grant"]

    async def test_an_admin_may_withdraw_any_receipt(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        admin = bearer(await create_principal(app, "admin", "Synthetic admin"))
        created = await bot_case(client, bot_headers)
        reply = await client.post(
            withdraw_path(created),
            json={"reason": "unsafe_to_contact", "requested_by": "person"},
            headers=admin,
        )
        assert reply.status_code == 201
        assert reply.json()["channel"] == "admin"
        async with app.state.sessionmaker() as session:
            event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "consent.withdraw"))
        assert event is not None
        assert event.reason == "unsafe_to_contact;requested_by=person"
        assert event.referral_id == (await referral(app, created["reference"])).id

    async def test_a_provider_may_not_withdraw(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        provider = bearer(await create_principal(app, "provider", "Synthetic caseworker", ["hate_crime"]))
        created = await bot_case(client, bot_headers)
        assert (await client.post(withdraw_path(created), json=WITHDRAW, headers=provider)).status_code == 403
        assert (await client.post(withdraw_path(created), json=WITHDRAW)).status_code == 401

    async def test_a_withdrawal_cannot_itself_be_withdrawn(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        admin = bearer(await create_principal(app, "admin", "Synthetic admin"))
        created = await bot_case(client, bot_headers)
        withdrawal = (await client.post(withdraw_path(created), json=WITHDRAW, headers=admin)).json()
        reply = await client.post(f"/v1/consents/{withdrawal['id']}/withdraw", json=WITHDRAW, headers=admin)
        assert reply.status_code == 409
        assert reply.json()["error"] == "consent_not_withdrawable"

    @pytest.mark.parametrize(
        ("consent_id", "body", "status"),
        [
            # A fixed id (no receipt has it): pytest-xdist workers must collect the same test ids.
            ("0b4f8d1e-6c2a-4e1b-9d7a-3f5c2e8a1b90", WITHDRAW, 404),
            ("not-a-uuid", WITHDRAW, 422),
            (None, {"reason": "because", "requested_by": "person"}, 422),
            (None, {"reason": "person_request"}, 422),
        ],
    )
    async def test_bad_requests(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        bot_headers: dict[str, str],
        consent_id: str | None,
        body: dict[str, str],
        status: int,
    ) -> None:
        admin = bearer(await create_principal(app, "admin", "Synthetic admin"))
        created = await bot_case(client, bot_headers)
        path = f"/v1/consents/{consent_id or created['consent_receipt_id']}/withdraw"
        reply = await client.post(path, json=body, headers=admin)
        assert reply.status_code == status
        assert set(reply.json()) == {"error", "code", "detail"}
        assert [r.kind for r in await receipts(app)] == ["grant"]


class TestReceiptsAreAppendOnly:
    async def test_the_database_refuses_to_change_a_receipt(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str], database_url: str
    ) -> None:
        created = await bot_case(client, bot_headers)
        path = Path(database_url.removeprefix("sqlite+aiosqlite:///"))
        with sqlite3.connect(path) as raw, pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute("UPDATE consent_receipt SET purposes = '[]'")
        with sqlite3.connect(path) as raw, pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute("DELETE FROM consent_receipt")
        assert created["consent_receipt_id"] == str((await receipts(app))[0].id)


class TestRead:
    async def test_an_admin_reads_the_receipt_with_its_exact_wordings(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        admin = bearer(await create_principal(app, "admin", "Synthetic admin"))
        agency = bearer(await create_principal(app, "agency", "Synthetic housing team"))
        created = await create_referral(client, bot_headers, agency_referral_payload(), as_headers=agency)
        reply = await client.get(f"/v1/consents/{created['consent_receipt_id']}", headers=admin)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["kind"] == "grant"
        assert body["given_by"] == "agency"
        assert body["referrer"] == {
            "name": "Synthetic Officer",
            "organisation": "Synthetic Homes",
            "contact": "ext 100",
            "role": "housing_officer",
        }
        assert body["referral_references"] == [created["reference"]]
        assert body["withdrawn_by_id"] is None
        assert [w["version"] for w in body["wordings"]] == body["wording_versions"]
        for wording in body["wordings"]:
            assert hashlib.sha256(wording["text"].encode()).hexdigest() == wording["version"]
            assert wording["key"].startswith("bot.consent.")

    async def test_after_withdrawal_the_grant_points_at_its_withdrawal(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        admin = bearer(await create_principal(app, "admin", "Synthetic admin"))
        created = await bot_case(client, bot_headers)
        withdrawal = (await client.post(withdraw_path(created), json=WITHDRAW, headers=admin)).json()
        grant = (await client.get(f"/v1/consents/{created['consent_receipt_id']}", headers=admin)).json()
        assert grant["withdrawn_by_id"] == withdrawal["id"]
        read = (await client.get(f"/v1/consents/{withdrawal['id']}", headers=admin)).json()
        assert (read["kind"], read["referral_references"]) == ("withdrawal", [created["reference"]])

    async def test_reading_is_for_admins_only_and_audited(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        created = await bot_case(client, bot_headers)
        agency = bearer(await create_principal(app, "agency", "Synthetic housing team"))
        admin = bearer(await create_principal(app, "admin", "Synthetic admin"))
        path = f"/v1/consents/{created['consent_receipt_id']}"
        assert (await client.get(path, headers=bot_headers)).status_code == 403
        assert (await client.get(path, headers=agency)).status_code == 403
        assert (await client.get(f"/v1/consents/{uuid.uuid4()}", headers=admin)).status_code == 404
        assert (await client.get(path, headers=admin)).status_code == 200
        async with app.state.sessionmaker() as session:
            reads = await session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "consent.read")
            )
        assert reads == 1
