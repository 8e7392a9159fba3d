"""Provider queues: order, claims with leases, isolation between providers."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI

from api.kit.models import utcnow
from api.worker.__main__ import run_once
from tests.builders import bearer, create_principal, referral_payload, shown_consent_versions


async def refer(client: httpx.AsyncClient, headers: dict[str, str], **triage: object) -> str:
    payload = referral_payload()
    payload["triage"].update(triage)
    payload["consent"]["wording_versions"] = await shown_consent_versions(client, headers)
    reply = await client.post("/v1/referrals", json=payload, headers=headers)
    assert reply.status_code == 201, reply.text
    return str(reply.json()["reference"])


class TestQueue:
    async def test_list_is_in_priority_order(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        normal = await refer(client, bot_headers)
        urgent = await refer(client, bot_headers, immediate_danger="yes")
        token = await create_principal(app, "provider", "Synthetic hate crime team", ["hate_crime"])
        reply = await client.get("/v1/queues/hate_crime/cases", headers=bearer(token))
        assert reply.status_code == 200
        assert [i["reference"] for i in reply.json()["items"]] == [urgent, normal]
        assert reply.json()["items"][0]["priority"] == "emergency"

    async def test_claim_gives_each_case_once(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        reference = await refer(client, bot_headers)
        first = await create_principal(app, "provider", "Synthetic caseworker A", ["hate_crime"])
        second = await create_principal(app, "provider", "Synthetic caseworker B", ["hate_crime"])
        claimed = await client.post("/v1/queues/hate_crime/claim", headers=bearer(first))
        assert claimed.status_code == 200
        assert claimed.json()["case"]["reference"] == reference
        assert claimed.json()["case"]["answers"]["hate_strand"] == "race"
        nothing = await client.post("/v1/queues/hate_crime/claim", headers=bearer(second))
        assert nothing.status_code == 404
        assert nothing.json()["error"] == "queue_empty"

    async def test_a_lapsed_lease_puts_the_case_back(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        reference = await refer(client, bot_headers)
        token = await create_principal(app, "provider", "Synthetic caseworker", ["hate_crime"])
        await client.post("/v1/queues/hate_crime/claim", headers=bearer(token))
        from sqlalchemy import update

        from api.queue.models import QueueEntry

        async with app.state.sessionmaker() as session, session.begin():
            await session.execute(update(QueueEntry).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
        assert await run_once(app.state.sessionmaker) == 1
        listed = await client.get("/v1/queues/hate_crime/cases", headers=bearer(token))
        assert [(i["reference"], i["status"]) for i in listed.json()["items"]] == [(reference, "queued")]

    async def test_another_providers_queue_is_forbidden(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        await refer(client, bot_headers)
        other = await create_principal(app, "provider", "Synthetic ASB team", ["asb_mediation"])
        for method, path in (("GET", "/v1/queues/hate_crime/cases"), ("POST", "/v1/queues/hate_crime/claim")):
            reply = await client.request(method, path, headers=bearer(other))
            assert reply.status_code == 403
            assert reply.json()["error"] == "queue_forbidden"
        own = await client.get("/v1/queues/asb_mediation/cases", headers=bearer(other))
        assert own.json()["items"] == []

    async def test_the_bot_cannot_read_queues(
        self, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        reply = await client.get("/v1/queues/hate_crime/cases", headers=bot_headers)
        assert reply.status_code == 403
