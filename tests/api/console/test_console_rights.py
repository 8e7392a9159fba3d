"""The data-protection officer's console pages: find by phone, e-mail, case or crime reference, export
(readable and JSON), rectify a contact detail, erase (refused with the reason under a legal hold or a
safeguarding basis) — through the same rights service as the API, audited, CSRF on every POST, personal data
only in POST bodies. Real SQLite, real argon2 and TOTP. Synthetic data only."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.referral.models import Referral
from tests.api.console.conftest import Login, csrf_of, make_account, sign_in
from tests.builders import bearer, create_principal, create_referral, referral_payload
from tests.pg import BOTH_DIALECTS, sqlite_or_postgresql

PHONE = "07700 900123"  # the builders' default number


@pytest.fixture(params=BOTH_DIALECTS)
def database_url(request: pytest.FixtureRequest, database_url: str) -> Iterator[str]:
    """Every test here on SQLite and on PostgreSQL (tests/pg.py)."""
    yield from sqlite_or_postgresql(request, database_url)


@pytest.fixture
async def dpo(app: FastAPI) -> Login:
    return await make_account(app, "data_protection", username="synthetic-rights-dpo")


async def post(browser: httpx.AsyncClient, action: str, **data: str) -> httpx.Response:
    page = await browser.get("/console/rights")
    assert page.status_code == 200, page.text
    return await browser.post(action, data={"csrf_token": csrf_of(page.text), **data})


async def actions(app: FastAPI) -> list[AuditEvent]:
    async with app.state.sessionmaker() as session:
        return list(await session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


class TestRightsPages:
    async def test_find_export_rectify_erase(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        bot_headers: dict[str, str],
        dpo: Login,
    ) -> None:
        created = await create_referral(client, bot_headers)
        reference = created["reference"]
        signed = await sign_in(browser, dpo)
        assert signed.headers["location"] == "/console/rights"
        home = await browser.get("/console/rights")
        assert home.headers["cache-control"] == "no-store"
        assert 'action="/console/rights/find" class="action-form"' in home.text
        assert '<form method="post" action="/console/rights/find"' in home.text

        found = await post(browser, "/console/rights/find", kind="phone", value=PHONE)
        assert found.status_code == 200, found.text
        assert reference in found.text and "Held: 1 cases" in found.text
        by_reference = await post(browser, "/console/rights/find", kind="reference", value=reference.lower())
        assert reference in by_reference.text

        readable = await post(browser, "/console/rights/export", kind="phone", value=PHONE, format="page")
        assert readable.status_code == 200, readable.text
        assert "The readable copy" in readable.text and "Synthetic: shouted at on the bus" in readable.text
        machine = await post(browser, "/console/rights/export", kind="phone", value=PHONE, format="json")
        assert machine.status_code == 200
        assert machine.headers["content-disposition"].startswith("attachment")
        assert machine.headers["cache-control"] == "no-store"
        assert [c["reference"] for c in json.loads(machine.content)["referrals"]] == [reference]

        rectified = await post(
            browser, "/console/rights/rectify", reference=reference, field="phone", value="07700 900987"
        )
        assert rectified.status_code == 200, rectified.text
        assert f"{reference}: the phone detail was corrected." in rectified.text
        assert reference not in (await post(browser, "/console/rights/find", kind="phone", value=PHONE)).text
        moved = await post(browser, "/console/rights/find", kind="phone", value="07700 900987")
        assert reference in moved.text

        unconfirmed = await post(browser, "/console/rights/erase", reference=reference)
        assert unconfirmed.status_code == 422
        erased = await post(browser, "/console/rights/erase", reference=reference, confirm="yes")
        assert erased.status_code == 200, erased.text
        assert f"{reference} was erased from every store." in erased.text
        async with app.state.sessionmaker() as session:
            assert await session.scalar(select(Referral).where(Referral.reference == reference)) is None

        events = await actions(app)
        done = [e.action for e in events]
        for action in ("rights.find", "rights.export", "rights.rectify", "rights.erase"):
            assert action in done, action
        dpo_events = {e.principal_id for e in events if e.action.startswith("rights.")}
        assert len(dpo_events) == 1  # the audit names the person
        assert all("07700" not in e.reason and "Synthetic" not in e.reason for e in events)

    async def test_erasure_refused_with_the_reason(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        bot_headers: dict[str, str],
        dpo: Login,
    ) -> None:
        held = (await create_referral(client, bot_headers))["reference"]
        admin = bearer(await create_principal(app, "admin", "Synthetic administrator"))
        reply = await client.put(
            f"/v1/admin/retention/holds/{held}", json={"reason": "litigation"}, headers=admin
        )
        assert reply.status_code == 200, reply.text
        payload = referral_payload()
        payload["triage"].update({"age_years": 10, "child_safeguarding_concern": True})
        safeguarding = (await create_referral(client, bot_headers, payload))["reference"]
        await sign_in(browser, dpo)

        refused = await post(browser, "/console/rights/erase", reference=held, confirm="yes")
        assert refused.status_code == 409
        assert f"{held} cannot be erased: it is on legal hold." in refused.text
        refused = await post(browser, "/console/rights/erase", reference=safeguarding, confirm="yes")
        assert refused.status_code == 409
        assert "held on a safeguarding basis" in refused.text
        async with app.state.sessionmaker() as session:
            kept = list(await session.scalars(select(Referral.reference)))
        assert sorted(kept) == sorted([held, safeguarding])
        assert [e.reason for e in await actions(app) if e.action == "rights.erase_refused"] == [
            "reason=legal_hold",
            "reason=safeguarding_basis",
        ]

    async def test_bad_input_and_nothing_held(self, browser: httpx.AsyncClient, dpo: Login) -> None:
        await sign_in(browser, dpo)
        bad = await post(browser, "/console/rights/find", kind="phone", value="not a number")
        assert bad.status_code == 422
        nothing = await post(browser, "/console/rights/export", kind="reference", value="SR-ZZZZ-ZZZZ")
        assert nothing.status_code == 404 and "Nothing is held that matches." in nothing.text
        forged = await browser.post("/console/rights/find", data={"csrf_token": "forged", "kind": "phone"})
        assert forged.status_code == 403

    async def test_only_the_data_protection_role(self, app: FastAPI, browser: httpx.AsyncClient) -> None:
        caseworker = await make_account(app, "caseworker", ["hate_crime"], username="synthetic-rights-cw")
        await sign_in(browser, caseworker)
        assert (await browser.get("/console/rights")).status_code == 403
