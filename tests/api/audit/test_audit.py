"""The audit trail: who read or changed which case, when and why; a hash chain that shows tampering."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from api.audit import service as audit
from api.audit.models import AuditEvent
from api.auth import BOT_PRINCIPAL_ID, Caller
from api.config import REPO_ROOT
from api.db import create_engine, create_sessionmaker
from api.principal.models import Principal, PrincipalKind
from tests.builders import (
    agency_referral_payload,
    bearer,
    create_principal,
    referral_payload,
    shown_consent_versions,
)

PERSONAL = ("Synthetic Canary Person", "900123", "shouted at on the bus")


async def events(app: FastAPI) -> list[AuditEvent]:
    async with app.state.sessionmaker() as session:
        return list(await session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


async def principal_id(app: FastAPI, name: str) -> uuid.UUID:
    async with app.state.sessionmaker() as session:
        found = await session.scalar(select(Principal.id).where(Principal.name == name))
    assert found is not None
    return found


async def realistic_day(app: FastAPI, client: httpx.AsyncClient, bot: dict[str, str]) -> dict[str, str]:
    """A bot referral and an agency referral, a caseworker listing, claiming and reading. Returns tokens."""
    versions = await shown_consent_versions(client, bot)
    payload = referral_payload()
    payload["person"]["name"] = PERSONAL[0]
    payload["consent"]["wording_versions"] = versions
    created = await client.post("/v1/referrals", json=payload, headers=bot)
    assert created.status_code == 201, created.text

    agency = await create_principal(app, "agency", "Synthetic housing team")
    by_agency = agency_referral_payload("asb")
    by_agency["consent"]["wording_versions"] = versions
    agency_created = await client.post("/v1/referrals", json=by_agency, headers=bearer(agency))
    assert agency_created.status_code == 201, agency_created.text
    read = await client.get(f"/v1/referrals/{agency_created.json()['reference']}", headers=bearer(agency))
    assert read.status_code == 200

    caseworker = await create_principal(app, "provider", "Synthetic caseworker", ["hate_crime"])
    assert (await client.get("/v1/queues/hate_crime/cases", headers=bearer(caseworker))).status_code == 200
    assert (await client.post("/v1/queues/hate_crime/claim", headers=bearer(caseworker))).status_code == 200
    reference = created.json()["reference"]
    assert (await client.get(f"/v1/referrals/{reference}", headers=bearer(caseworker))).status_code == 200
    return {"agency": agency, "caseworker": caseworker, "reference": reference}


class TestWhatIsAudited:
    async def test_each_read_and_change_of_a_case_is_one_event(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        await realistic_day(app, client, bot_headers)
        trail = await events(app)
        agency = await principal_id(app, "Synthetic housing team")
        caseworker = await principal_id(app, "Synthetic caseworker")
        assert [(e.action, e.principal_kind, e.principal_id) for e in trail] == [
            ("referral.create", "bot", BOT_PRINCIPAL_ID),
            ("referral.create", "agency", agency),
            ("referral.read", "agency", agency),
            ("queue.list", "provider", caseworker),
            ("queue.claim", "provider", caseworker),
            ("referral.read", "provider", caseworker),
        ]
        first, second = trail[0].referral_id, trail[1].referral_id
        assert first is not None and second is not None and first != second
        assert [e.referral_id for e in trail] == [first, second, second, None, first, first]
        assert trail[0].reason == "source=web_chat outcome=referred queue=hate_crime"
        assert trail[3].reason == "queue=hate_crime offset=0 limit=50 items=1"
        assert trail[4].reason.startswith("queue=hate_crime entry=")
        assert all(e.at is not None for e in trail)

    async def test_events_carry_no_personal_data(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        await realistic_day(app, client, bot_headers)
        for event in await events(app):
            for canary in (*PERSONAL, "Synthetic Officer", "Synthetic Homes"):
                assert canary not in event.reason

    async def test_a_refused_read_writes_nothing(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        tokens = await realistic_day(app, client, bot_headers)
        before = len(await events(app))
        other = await create_principal(app, "provider", "Synthetic ASB team", ["asb_mediation"])
        hidden = await client.get(f"/v1/referrals/{tokens['reference']}", headers=bearer(other))
        assert hidden.status_code == 404
        # The request's transaction rolls back on the error, the event with it: nothing was read.
        assert len(await events(app)) == before

    async def test_an_idempotent_replay_is_audited_as_a_read(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        payload = referral_payload()
        payload["consent"]["wording_versions"] = await shown_consent_versions(client, bot_headers)
        headers = {**bot_headers, "Idempotency-Key": "audit-replay-0001"}
        first = await client.post("/v1/referrals", json=payload, headers=headers)
        second = await client.post("/v1/referrals", json=payload, headers=headers)
        assert first.content == second.content
        trail = await events(app)
        assert [e.action for e in trail] == ["referral.create", "referral.replay"]
        assert trail[0].referral_id == trail[1].referral_id

    async def test_nothing_kept_means_nothing_audited(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        payload = referral_payload()
        payload["consent"]["purposes"] = []
        payload["consent"]["wording_versions"] = await shown_consent_versions(client, bot_headers)
        reply = await client.post("/v1/referrals", json=payload, headers=bot_headers)
        assert reply.json()["reference"] is None
        assert await events(app) == []


async def tamper(app: FastAPI, *statements: str, **params: object) -> None:
    """Drop the append-only triggers (as an attacker with the database file could), then run SQL."""
    async with app.state.sessionmaker() as session, session.begin():
        for trigger in ("audit_event_no_update", "audit_event_no_delete"):
            await session.execute(text(f"DROP TRIGGER {trigger}"))
        for statement in statements:
            await session.execute(text(statement), params)


async def verify(app: FastAPI) -> audit.ChainReport:
    async with app.state.sessionmaker() as session:
        return await audit.verify(session)


class TestChain:
    async def test_an_untouched_chain_verifies(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        await realistic_day(app, client, bot_headers)
        assert await verify(app) == audit.ChainReport(events=6, first_broken_seq=None)

    async def test_an_empty_chain_verifies(self, app: FastAPI) -> None:
        assert (await verify(app)).ok

    async def test_a_changed_reason_is_found_at_its_seq(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        await realistic_day(app, client, bot_headers)
        await tamper(app, "UPDATE audit_event SET reason = 'lookup=nothing to see' WHERE seq = 3")
        assert await verify(app) == audit.ChainReport(events=2, first_broken_seq=3)

    async def test_a_changed_principal_is_found_even_with_its_hash_recomputed_alone(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        await realistic_day(app, client, bot_headers)
        trail = await events(app)
        forged = trail[3]
        forged.principal_id = BOT_PRINCIPAL_ID
        forged_hash = audit.event_hash(trail[2].hash, forged)
        await tamper(
            app,
            "UPDATE audit_event SET principal_id = :principal, hash = :hash WHERE seq = 4",
            principal=BOT_PRINCIPAL_ID.hex,
            hash=forged_hash,
        )
        # The forged row is self-consistent; the next one no longer follows it.
        assert await verify(app) == audit.ChainReport(events=4, first_broken_seq=5)

    async def test_a_deleted_middle_row_is_found_at_the_next_seq(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        await realistic_day(app, client, bot_headers)
        await tamper(app, "DELETE FROM audit_event WHERE seq = 4")
        assert await verify(app) == audit.ChainReport(events=3, first_broken_seq=5)

    async def test_swapped_rows_are_found_at_the_first_of_them(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        await realistic_day(app, client, bot_headers)
        await tamper(
            app,
            "CREATE TEMP TABLE swap AS SELECT * FROM audit_event WHERE seq IN (2, 3)",
            "DELETE FROM audit_event WHERE seq IN (2, 3)",
            "UPDATE swap SET seq = 5 - seq",
            "INSERT INTO audit_event SELECT * FROM swap",
        )
        assert await verify(app) == audit.ChainReport(events=1, first_broken_seq=2)

    async def test_concurrent_appends_keep_one_chain(self, app: FastAPI) -> None:
        caller = Caller(BOT_PRINCIPAL_ID, PrincipalKind.bot, "bot service")

        async def append(n: int) -> None:
            async with app.state.sessionmaker() as session, session.begin():
                await audit.record(session, caller, "test.append", None, f"n={n}")

        await asyncio.gather(*(append(n) for n in range(20)))
        assert await verify(app) == audit.ChainReport(events=20, first_broken_seq=None)


class TestAppendOnly:
    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE audit_event SET reason = 'x'",
            "DELETE FROM audit_event",
            "UPDATE consent_receipt SET purposes = '[]'",
            "DELETE FROM consent_receipt",
        ],
    )
    async def test_the_database_refuses(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str], statement: str
    ) -> None:
        await realistic_day(app, client, bot_headers)
        async with app.state.sessionmaker() as session:
            with pytest.raises(DBAPIError, match="append-only"):
                await session.execute(text(statement))
            await session.rollback()
        assert len(await events(app)) == 6


class TestVerifyEndpoint:
    async def test_an_admin_sees_the_chain_intact(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        await realistic_day(app, client, bot_headers)
        admin = await create_principal(app, "admin", "Synthetic admin")
        reply = await client.get("/v1/admin/audit/verify", headers=bearer(admin))
        assert reply.status_code == 200
        assert reply.json() == {"ok": True, "events": 6, "first_broken_seq": None}

    async def test_an_admin_sees_where_it_breaks(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        await realistic_day(app, client, bot_headers)
        await tamper(app, "DELETE FROM audit_event WHERE seq = 2")
        admin = await create_principal(app, "admin", "Synthetic admin")
        reply = await client.get("/v1/admin/audit/verify", headers=bearer(admin))
        assert reply.json() == {"ok": False, "events": 1, "first_broken_seq": 3}

    async def test_only_an_admin(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        tokens = await realistic_day(app, client, bot_headers)
        for headers in (bot_headers, bearer(tokens["agency"]), bearer(tokens["caseworker"])):
            reply = await client.get("/v1/admin/audit/verify", headers=headers)
            assert reply.status_code == 403
            assert reply.json()["error"] == "forbidden"


def run_command(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "APP_ENV": "test"}
    return subprocess.run(
        [sys.executable, "-m", "api", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def fill_chain(database_url: str, count: int, *, break_seq: int | None = None) -> None:
    async def fill() -> None:
        engine = create_engine(database_url)
        caller = Caller(BOT_PRINCIPAL_ID, PrincipalKind.bot, "bot service")
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                for n in range(count):
                    await audit.record(session, caller, "test.append", None, f"n={n}")
                if break_seq is not None:
                    await session.execute(text("DROP TRIGGER audit_event_no_update"))
                    await session.execute(
                        text("UPDATE audit_event SET reason = 'n=changed' WHERE seq = :seq"),
                        {"seq": break_seq},
                    )
        finally:
            await engine.dispose()

    asyncio.run(fill())


class TestVerifyCommand:
    def test_an_intact_chain_exits_0(self, database_url: str) -> None:
        fill_chain(database_url, 5)
        done = run_command(database_url, "audit", "verify")
        assert (done.returncode, done.stdout.strip()) == (0, "ok: 5 events"), done.stderr

    def test_a_broken_chain_exits_1_naming_the_seq(self, database_url: str) -> None:
        fill_chain(database_url, 5, break_seq=4)
        done = run_command(database_url, "audit", "verify")
        assert done.returncode == 1, done.stderr
        assert "seq 4" in done.stdout
