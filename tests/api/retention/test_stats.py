"""The anonymous counters: written when a referral is made, taken up, closed or withdrawn; still there,
unchanged, after the cases are disposed of; read by GET /v1/admin/stats."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from api.config import Settings
from api.kit.models import utcnow
from api.queue.models import QueueEntry
from api.referral.models import Referral
from api.retention.disposal import Disposal
from api.stats import service as stats
from api.stats.models import StatsCount
from tests.builders import bearer, create_principal, create_referral, referral_payload


class TestCounters:
    async def test_figures_add_up_after_disposal(
        self, app: FastAPI, client: httpx.AsyncClient, settings: Settings, bot_headers: dict[str, str]
    ) -> None:
        admin = bearer(await create_principal(app, "admin", "commissioner"))
        hate = await create_referral(client, bot_headers)
        await create_referral(client, bot_headers)
        await create_referral(
            client, bot_headers, referral_payload(triage={"incident_type": "asb", "consent": "given"})
        )
        async with app.state.sessionmaker() as session, session.begin():
            referral_id = select(Referral.id).where(Referral.reference == hate["reference"])
            await session.execute(
                update(QueueEntry)
                .where(QueueEntry.referral_id.in_(referral_id))
                .values(status="closed", accepted_at=utcnow(), closed_at=utcnow(), outcome="supported")
            )

        await Disposal(app.state.sessionmaker, settings).run(utcnow())
        before = (await client.get("/v1/admin/stats", params={"by": "queue"}, headers=admin)).json()
        closed = (
            await client.get("/v1/admin/stats", params={"event": "closed", "by": "outcome"}, headers=admin)
        ).json()
        await Disposal(app.state.sessionmaker, settings).run(utcnow() + timedelta(days=8 * 366))
        after = (await client.get("/v1/admin/stats", params={"by": "queue"}, headers=admin)).json()

        assert before["counts"] == {"hate_crime": 2, "asb_mediation": 1}
        assert closed["counts"] == {"supported": 1}
        assert after == before
        async with app.state.sessionmaker() as session:
            assert await session.scalar(select(Referral.id)) is None
            rows = list(await session.scalars(select(StatsCount)))
        assert {r.event for r in rows} == {"made", "taken_up", "closed"}
        for row in rows:  # categories only: nothing that names a case or a person
            assert hate["reference"] not in repr([getattr(row, c) for c in stats.DIMENSIONS])
            assert row.channel == "web_chat"
            # Age band, strands and area are counted when the case is made, from the triage input in hand;
            # later events never open it again.
            assert row.age_band == ("unknown" if row.event == "made" else stats.NOT_RECORDED)

    async def test_a_withdrawal_is_counted(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        admin = bearer(await create_principal(app, "admin", "records"))
        case = await create_referral(client, bot_headers)
        reply = await client.post(
            f"/v1/consents/{case['consent_receipt_id']}/withdraw",
            json={"reason": "person_request", "requested_by": "person"},
            headers=admin,
        )
        assert reply.status_code == 201
        figures = await client.get(
            "/v1/admin/stats", params={"event": "withdrawn", "by": "source"}, headers=admin
        )
        assert figures.json()["counts"] == {"web_chat": 1}

    async def test_a_day_must_be_written_yyyy_mm_dd(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        admin = bearer(await create_principal(app, "admin", "commissioner"))
        refused = await client.get("/v1/admin/stats", params={"start": "0"}, headers=admin)
        taken = await client.get("/v1/admin/stats", params={"start": "2026-12-01"}, headers=admin)
        assert (refused.status_code, taken.status_code) == (422, 200)

    def test_age_bands(self) -> None:
        assert [stats.age_band(a) for a in (None, 5, 12, 13, 17, 18, 24, 25, 64, 65)] == [
            "unknown",
            "0-12",
            "0-12",
            "13-17",
            "13-17",
            "18-24",
            "18-24",
            "25-64",
            "25-64",
            "65+",
        ]
