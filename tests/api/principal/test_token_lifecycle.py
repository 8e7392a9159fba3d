"""Tokens have a lifecycle (issue 15): `python -m api principal list|revoke|rotate|update`, and an expiry.
Wrong, expired and revoked tokens are all refused with the same 401; a rotated token's old value stops at
once. Read access narrows with the case: a provider that returned or closed it sees its status only (after
a grace), the referring agency after the person withdrew."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from api.__main__ import main
from api.audit.models import AuditEvent
from api.config import Settings, get_settings
from api.kit.models import utcnow
from api.principal.models import Principal
from api.queue.models import EntryStatus, QueueEntry
from api.referral.models import Referral
from tests.builders import (
    add_queued_case,
    agency_referral_payload,
    bearer,
    create_principal,
    create_referral,
)

NOWHERE = "/v1/referrals/SR-2345-6789"  # any authenticated read: a valid token gets 404, not 401


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    return settings


async def command(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    status = await asyncio.to_thread(main, list(argv))
    return status, capsys.readouterr().out


async def refused(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    reply = await client.get(NOWHERE, headers=bearer(token))
    assert reply.status_code == 401, reply.text
    assert reply.headers["www-authenticate"] == "Bearer"
    body: dict[str, Any] = reply.json()
    return body


async def admitted(client: httpx.AsyncClient, token: str) -> None:
    assert (await client.get(NOWHERE, headers=bearer(token))).status_code == 404


async def principal_id(app: FastAPI, name: str) -> uuid.UUID:
    async with app.state.sessionmaker() as session:
        found = await session.scalar(select(Principal.id).where(Principal.name == name))
    assert found is not None
    return found


class TestTokens:
    async def test_wrong_expired_and_revoked_are_the_same_401(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        good = await create_principal(app, "agency", "Synthetic live team")
        expired = await create_principal(
            app, "agency", "Synthetic lapsed team", expires_at=utcnow() - timedelta(seconds=1)
        )
        revoked = await create_principal(app, "agency", "Synthetic revoked team", revoked_at=utcnow())
        await admitted(client, good)
        wrong = await refused(client, good[:-2] + "xx")
        assert await refused(client, expired) == wrong
        assert await refused(client, revoked) == wrong
        assert wrong["error"] == "unauthenticated"

    async def test_a_token_works_until_it_expires(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        token = await create_principal(
            app, "agency", "Synthetic team", expires_at=utcnow() + timedelta(minutes=5)
        )
        await admitted(client, token)
        async with app.state.sessionmaker() as session, session.begin():
            await session.execute(update(Principal).values(expires_at=utcnow() - timedelta(seconds=1)))
        await refused(client, token)


class TestCommands:
    async def test_create_list_revoke(
        self, cli: Settings, app: FastAPI, client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
    ) -> None:
        status, out = await command(
            capsys,
            "principal",
            "create",
            "--kind",
            "agency",
            "--name",
            "Synthetic housing",
            "--expires-days",
            "30",
        )
        token = out.strip()
        assert status == 0 and token.startswith("srt_")
        await admitted(client, token)
        pid = await principal_id(app, "Synthetic housing")

        status, listing = await command(capsys, "principal", "list")
        assert status == 0
        line = next(row for row in listing.splitlines() if row.startswith(str(pid)))
        assert "\tagency\tSynthetic housing\t-\tactive\t" in line and line.endswith("\tno")
        assert token not in listing and token[4:20] not in listing  # never a token

        assert (await command(capsys, "principal", "revoke", str(pid)))[0] == 0
        await refused(client, token)
        assert str(pid) not in (await command(capsys, "principal", "list"))[1]
        assert (
            f"{pid}\tagency\tSynthetic housing\t-\trevoked"
            in (await command(capsys, "principal", "list", "--all"))[1]
        )
        assert (await command(capsys, "principal", "revoke", str(uuid.uuid4())))[0] == 1

    async def test_rotate_stops_the_old_token_at_once(
        self, cli: Settings, app: FastAPI, client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
    ) -> None:
        old = await create_principal(app, "provider", "Synthetic caseworker", ["hate_crime"])
        pid = await principal_id(app, "Synthetic caseworker")
        status, out = await command(capsys, "principal", "rotate", str(pid), "--expires-days", "7")
        new = out.strip()
        assert status == 0 and new.startswith("srt_") and new != old
        await refused(client, old)
        reply = await client.get("/v1/queues/hate_crime/cases", headers=bearer(new))
        assert reply.status_code == 200
        async with app.state.sessionmaker() as session:
            row = await session.get(Principal, pid)
            actions = (await session.scalars(select(AuditEvent.action))).all()
        assert row is not None and row.expires_at is not None
        assert timedelta(days=6.9) < row.expires_at - utcnow() < timedelta(days=7.1)
        assert "principal.rotate" in actions

    async def test_an_admin_sets_who_may_refer_without_consent(
        self,
        cli: Settings,
        app: FastAPI,
        client: httpx.AsyncClient,
        bot_headers: dict[str, str],
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        agency = bearer(await create_principal(app, "agency", "Synthetic safeguarding team"))
        pid = await principal_id(app, "Synthetic safeguarding team")
        payload = agency_referral_payload()
        payload["consent"].update(lawful_basis="safeguarding", purposes=[])
        payload["consent"]["referrer"]["role"] = "designated_safeguarding_lead"  # asserted by the body
        with pytest.raises(AssertionError, match="safeguarding_role_required"):
            await create_referral(client, bot_headers, payload, as_headers=agency)
        status, _ = await command(
            capsys, "principal", "update", str(pid), "--may-refer-without-consent", "yes"
        )
        assert status == 0
        created = await create_referral(client, bot_headers, payload, as_headers=agency)
        assert created["reference"]
        provider = await create_principal(app, "provider", "Synthetic caseworker", ["hate_crime"])
        provider_id = await principal_id(app, "Synthetic caseworker")
        refused_for_provider = await command(
            capsys, "principal", "update", str(provider_id), "--may-refer-without-consent", "yes"
        )
        assert refused_for_provider[0] == 1
        assert provider


class TestReadAccessNarrows:
    async def case_in_hate_crime(self, app: FastAPI) -> tuple[str, uuid.UUID]:
        async with app.state.sessionmaker() as session, session.begin():
            entry = await add_queued_case(session, app.state.vault)
            referral = await session.get(Referral, entry.referral_id)
            assert referral is not None and referral.reference is not None
            return referral.reference, entry.id

    async def set_entry(self, app: FastAPI, entry_id: uuid.UUID, status: EntryStatus, ago: timedelta) -> None:
        async with app.state.sessionmaker() as session, session.begin():
            when = utcnow() - ago
            closed_at = when if status == EntryStatus.closed else None
            await session.execute(
                update(QueueEntry)
                .where(QueueEntry.id == entry_id)
                .values(status=status, closed_at=closed_at, updated_at=when)
            )

    @pytest.mark.parametrize("status", [EntryStatus.returned, EntryStatus.closed])
    async def test_a_provider_sees_the_status_only_after_the_grace(
        self, app: FastAPI, client: httpx.AsyncClient, status: EntryStatus
    ) -> None:
        provider = bearer(await create_principal(app, "provider", "Synthetic caseworker", ["hate_crime"]))
        reference, entry_id = await self.case_in_hate_crime(app)
        open_case = (await client.get(f"/v1/referrals/{reference}", headers=provider)).json()
        assert open_case["person"] is not None and open_case["detail_withheld"] is None

        await self.set_entry(app, entry_id, status, timedelta(hours=23))  # within the 24 h grace
        recent = (await client.get(f"/v1/referrals/{reference}", headers=provider)).json()
        assert recent["person"] == open_case["person"]

        await self.set_entry(app, entry_id, status, timedelta(hours=25))
        reply = await client.get(f"/v1/referrals/{reference}", headers=provider)
        assert reply.status_code == 200
        later = reply.json()
        assert (later["person"], later["answers"], later["detail_withheld"]) == (None, None, status.value)
        assert later["reference"] == reference and later["outcome"] == open_case["outcome"]

        admin = bearer(await create_principal(app, "admin", "Synthetic admin"))
        assert (await client.get(f"/v1/referrals/{reference}", headers=admin)).json()["person"] is not None

    async def test_the_agency_sees_the_status_only_after_withdrawal(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        agency = bearer(await create_principal(app, "agency", "Synthetic housing team"))
        created = await create_referral(client, bot_headers, agency_referral_payload(), as_headers=agency)
        path = f"/v1/referrals/{created['reference']}"
        assert (await client.get(path, headers=agency)).json()["person"] is not None
        withdrawn = await client.post(
            f"/v1/consents/{created['consent_receipt_id']}/withdraw",
            json={"reason": "person_request", "requested_by": "agency"},
            headers=agency,
        )
        assert withdrawn.status_code == 201, withdrawn.text
        after = (await client.get(path, headers=agency)).json()
        assert (after["person"], after["answers"], after["detail_withheld"]) == (None, None, "withdrawn")
        assert after["reference"] == created["reference"]
