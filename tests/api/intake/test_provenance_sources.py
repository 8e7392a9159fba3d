"""Every source stores its number's provenance, shown beside the person (ReferralDetail.contact_provenance):
an agency's and the police feed's numbers are unverified; the web chat's is typed until a code confirms it."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from api.referral.models import Referral
from tests.api.police_feed.test_police_feed import FIXTURE, admin_headers
from tests.builders import agency_referral_payload, bearer, create_principal, create_referral


async def detail_of(client: httpx.AsyncClient, headers: dict[str, str], reference: str) -> dict[str, object]:
    reply = await client.get(f"/v1/referrals/{reference}", headers=headers)
    assert reply.status_code == 200, reply.text
    body: dict[str, object] = reply.json()
    return body


class TestProvenanceBySource:
    async def test_the_police_feeds_numbers_are_unverified(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        headers = await admin_headers(app)
        imported = await client.post("/v1/admin/police-feed", content=FIXTURE.read_bytes(), headers=headers)
        assert imported.status_code in (200, 201), imported.text
        async with app.state.sessionmaker() as session:
            references = list(
                await session.scalars(
                    select(Referral.reference).where(
                        Referral.source == "police_feed", Referral.phone_index.is_not(None)
                    )
                )
            )
        assert references
        admin = bearer(await create_principal(app, "admin", "Synthetic reader"))
        for reference in references:
            case = await detail_of(client, admin, reference)
            provenance = case["contact_provenance"]
            assert isinstance(provenance, dict)
            assert (provenance["phone"]["source"], provenance["phone"]["verified"]) == ("police_feed", False)
            assert "contact_provenance" not in case["person"]  # type: ignore[operator]

    async def test_an_agencys_number_is_unverified(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        agency = bearer(await create_principal(app, "agency", "Synthetic school"))
        created = await create_referral(client, bot_headers, agency_referral_payload(), as_headers=agency)
        case = await detail_of(client, agency, created["reference"])
        provenance = case["contact_provenance"]
        assert isinstance(provenance, dict)
        assert (provenance["phone"]["source"], provenance["phone"]["verified"]) == ("agency", False)
