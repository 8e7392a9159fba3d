"""Erasure at the person's request: refused, with the reason, while a safeguarding basis or a legal hold
applies; the refusal is audited and the case kept. A case that may go is erased from every store by the
retention engine's `erase_referral` (api/retention/disposal.py): afterwards nothing of it is found."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.api.rights.helpers import audit_events, dpo_headers, referral_row
from tests.builders import bearer, create_principal, create_referral, referral_payload
from tests.pg import BOTH_DIALECTS, sqlite_or_postgresql


@pytest.fixture(params=BOTH_DIALECTS)
def database_url(request: pytest.FixtureRequest, database_url: str) -> Iterator[str]:
    """Every test here on SQLite and on PostgreSQL (tests/pg.py)."""
    yield from sqlite_or_postgresql(request, database_url)


async def bot_case(client: httpx.AsyncClient, bot_headers: dict[str, str], **triage: Any) -> str:
    payload = referral_payload()
    payload["triage"].update(triage)
    return str((await create_referral(client, bot_headers, payload))["reference"])


class TestRefused:
    @pytest.mark.parametrize(
        ("triage", "reason"),
        [
            # Under 13 with a safeguarding concern: held on the safeguarding basis, not on consent.
            ({"age_years": 10, "child_safeguarding_concern": True}, "safeguarding_basis"),
            # A young person's own consent, but triage found a child at risk of significant harm.
            ({"age_years": 15, "child_safeguarding_concern": True}, "safeguarding_concern"),
        ],
    )
    async def test_a_safeguarding_case_is_kept_with_the_reason(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        bot_headers: dict[str, str],
        triage: dict[str, Any],
        reason: str,
    ) -> None:
        reference = await bot_case(client, bot_headers, **triage)
        reply = await client.post(
            "/v1/rights/erase", json={"reference": reference}, headers=await dpo_headers(app)
        )
        assert reply.status_code == 409, reply.text
        assert reply.json()["error"] == "erasure_refused"
        assert reason in reply.json()["detail"]
        assert await referral_row(app, reference) is not None
        refused = [e for e in await audit_events(app) if e.action == "rights.erase_refused"]
        assert [e.reason for e in refused] == [f"reason={reason}"]

    async def test_nothing_held(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        reply = await client.post(
            "/v1/rights/erase", json={"reference": "SR-ZZZZ-ZZZZ"}, headers=await dpo_headers(app)
        )
        assert reply.status_code == 404
        assert reply.json()["error"] == "nothing_held"


class TestAllowed:
    async def test_a_consented_case_is_erased_from_every_store(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        reference = await bot_case(client, bot_headers)
        dpo = await dpo_headers(app)
        reply = await client.post("/v1/rights/erase", json={"reference": reference}, headers=dpo)
        assert reply.status_code == 200, reply.text
        removed = reply.json()["removed"]
        assert removed["referral"] == 1 and removed["queue_entry"] >= 1
        assert removed["consent_receipt_shredded"] == 1
        assert await referral_row(app, reference) is None
        found = await client.post("/v1/rights/find", json={"reference": reference}, headers=dpo)
        assert found.status_code == 200, found.text
        assert found.json()["references"] == []
        assert {k: v for k, v in found.json().items() if k != "references" and v} == {}  # nothing anywhere
        again = await client.post("/v1/rights/erase", json={"reference": reference}, headers=dpo)
        assert again.status_code == 404  # nothing left to erase
        assert [e.reason for e in await audit_events(app) if e.action == "rights.erase"] == [
            "reason=subject_request"
        ]

    async def test_a_case_on_legal_hold_is_kept(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        reference = await bot_case(client, bot_headers)
        admin = bearer(await create_principal(app, "admin", "Synthetic administrator"))
        held = await client.put(
            f"/v1/admin/retention/holds/{reference}", json={"reason": "litigation"}, headers=admin
        )
        assert held.status_code == 200, held.text
        reply = await client.post(
            "/v1/rights/erase", json={"reference": reference}, headers=await dpo_headers(app)
        )
        assert reply.status_code == 409 and reply.json()["error"] == "erasure_refused"
        assert "legal_hold" in reply.json()["detail"]
        assert await referral_row(app, reference) is not None
