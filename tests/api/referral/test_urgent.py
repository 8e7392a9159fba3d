"""Making a handed-off case urgent (POST /v1/referrals/{reference}/urgent): the bot for its conversation's
case, an admin for any; idempotent, audited, and the case moves to the front of its queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.queue.models import QueueEntry
from api.referral.models import Referral
from api.referral.service import decision_of
from tests.builders import bearer, create_principal, create_referral, referral_payload


async def two_cases(client: httpx.AsyncClient, bot_headers: dict[str, str]) -> list[dict[str, Any]]:
    """Two normal hate crime cases from the bot, in arrival order, with their conversations."""
    cases = []
    for _ in range(2):
        payload = referral_payload()
        created = await create_referral(client, bot_headers, payload)
        cases.append({**created, "conversation_id": payload["conversation_id"]})
    return cases


async def urgent_events(app: FastAPI) -> list[AuditEvent]:
    async with app.state.sessionmaker() as session:
        return list(await session.scalars(select(AuditEvent).where(AuditEvent.action == "referral.urgent")))


class TestMarkUrgent:
    async def test_the_bot_marks_its_conversations_case_and_it_goes_first(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        first, second = await two_cases(client, bot_headers)
        assert (first["priority"], second["priority"]) == ("normal", "normal")
        reply = await client.post(
            f"/v1/referrals/{second['reference']}/urgent",
            json={"reason": "danger_reported", "conversation_id": second["conversation_id"]},
            headers=bot_headers,
        )
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert (body["priority"], body["emergency"], body["reference"]) == (
            "emergency",
            True,
            second["reference"],
        )
        assert datetime.fromisoformat(body["deadline"]) <= datetime.fromisoformat(second["deadline"])
        async with app.state.sessionmaker() as session:
            referral = await session.scalar(select(Referral).where(Referral.reference == second["reference"]))
            assert referral is not None
            entry = await session.scalar(select(QueueEntry).where(QueueEntry.referral_id == referral.id))
        assert (
            referral.priority,
            referral.emergency,
            decision_of(app.state.vault, referral)["priority"],
        ) == (
            "emergency",
            True,
            "emergency",
        )
        assert entry is not None and entry.priority_rank == 0
        caseworker = bearer(await create_principal(app, "provider", "Synthetic team", ["hate_crime"]))
        listed = (await client.get("/v1/queues/hate_crime/cases", headers=caseworker)).json()["items"]
        assert [item["reference"] for item in listed] == [second["reference"], first["reference"]]
        [event] = await urgent_events(app)
        assert event.reason == "reason=danger_reported was=normal entries=1"

    async def test_is_idempotent(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        [case, _] = await two_cases(client, bot_headers)
        body = {"conversation_id": case["conversation_id"]}
        path = f"/v1/referrals/{case['reference']}/urgent"
        first = await client.post(path, json=body, headers=bot_headers)
        again = await client.post(path, json=body, headers=bot_headers)
        assert first.status_code == again.status_code == 200
        assert first.json() == again.json()
        assert len(await urgent_events(app)) == 1

    async def test_the_bot_may_not_mark_another_conversations_case(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        first, second = await two_cases(client, bot_headers)
        for body in ({"conversation_id": first["conversation_id"]}, {}):
            reply = await client.post(
                f"/v1/referrals/{second['reference']}/urgent", json=body, headers=bot_headers
            )
            assert (reply.status_code, reply.json()["error"]) == (404, "referral_not_found")
        assert await urgent_events(app) == []

    async def test_an_admin_marks_any_case_and_an_unknown_one_is_404(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        [case, _] = await two_cases(client, bot_headers)
        admin = bearer(await create_principal(app, "admin", "Synthetic admin"))
        reply = await client.post(f"/v1/referrals/{case['reference']}/urgent", json={}, headers=admin)
        assert (reply.status_code, reply.json()["priority"]) == (200, "emergency")
        missing = await client.post("/v1/referrals/SR-ZZZZ-ZZZZ/urgent", json={}, headers=admin)
        assert (missing.status_code, set(missing.json())) == (404, {"error", "code", "detail"})

    async def test_agencies_and_providers_may_not(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        [case, _] = await two_cases(client, bot_headers)
        for kind, queues in (("agency", []), ("provider", ["hate_crime"])):
            token = bearer(await create_principal(app, kind, f"Synthetic {kind}", queues))
            reply = await client.post(f"/v1/referrals/{case['reference']}/urgent", json={}, headers=token)
            assert reply.status_code == 403
