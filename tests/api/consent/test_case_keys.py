"""Crypto-shredding of consent receipts: the referrer is sealed with its case's own key, and destroying the
key erases it while the append-only receipt stays byte for byte. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from api.consent.models import ConsentReceipt
from api.encryption import case_keys
from api.encryption.models import CaseKey
from api.kit.crypto import DecryptionError, Vault
from api.referral.models import Referral
from api.referral.service import referrer_aad
from tests.builders import agency_referral_payload, bearer, create_principal, create_referral
from tests.pg import BOTH_DIALECTS, sqlite_or_postgresql

WITHDRAW = {"reason": "support_elsewhere", "requested_by": "agency"}


@pytest.fixture(params=BOTH_DIALECTS)
def database_url(request: pytest.FixtureRequest, database_url: str) -> Iterator[str]:
    yield from sqlite_or_postgresql(request, database_url)


async def agency_case(app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]) -> dict[str, Any]:
    agency = bearer(await create_principal(app, "agency", "Synthetic housing team"))
    created = await create_referral(client, bot_headers, agency_referral_payload(), as_headers=agency)
    created["agency"] = agency
    created["admin"] = bearer(await create_principal(app, "admin", "Synthetic admin"))
    return created


async def stored(app: FastAPI, created: dict[str, Any]) -> tuple[Referral, ConsentReceipt]:
    async with app.state.sessionmaker() as session:
        referral = await session.scalar(select(Referral).where(Referral.reference == created["reference"]))
        assert referral is not None
        receipt = await session.get_one(ConsentReceipt, referral.consent_receipt_id)
    return referral, receipt


async def destroy(app: FastAPI, referral_id: uuid.UUID) -> bool:
    async with app.state.sessionmaker() as session, session.begin():
        return await case_keys.destroy(session, referral_id)


class TestSealedWithTheCaseKey:
    async def test_every_case_gets_a_key_and_the_referrer_is_not_under_the_vault(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        created = await agency_case(app, client, bot_headers)
        referral, receipt = await stored(app, created)
        vault: Vault = app.state.vault
        assert receipt.referrer_sealed is not None
        assert not vault.cipher.knows(receipt.referrer_sealed)
        with pytest.raises(DecryptionError, match="not in the ring"):
            vault.cipher.open(receipt.referrer_sealed, referrer_aad(referral.id).encode())
        async with app.state.sessionmaker() as session:
            row = await session.get_one(CaseKey, referral.id)
            found = await case_keys.for_receipt(session, vault, receipt.id)
        assert row.consent_receipt_id == receipt.id
        assert found is not None and found[0] == referral.id and len(found[1]) == case_keys.KEY_BYTES
        # The wrapped key is bound to its case: copied to another case it does not open.
        with pytest.raises(DecryptionError):
            vault.cipher.open(row.wrapped, case_keys.case_key_aad(uuid.uuid4()).encode())
        assert case_keys.open_json(found[1], receipt.referrer_sealed, referrer_aad(referral.id))["name"] == (
            "Synthetic Officer"
        )


class TestDestroy:
    async def test_the_receipt_stays_unchanged_and_reads_as_erased(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        created = await agency_case(app, client, bot_headers)
        withdrawal = await client.post(
            f"/v1/consents/{created['consent_receipt_id']}/withdraw", json=WITHDRAW, headers=created["agency"]
        )
        assert withdrawal.status_code == 201, withdrawal.text
        referral, before = await stored(app, created)
        grant_path = f"/v1/consents/{created['consent_receipt_id']}"
        readable = (await client.get(grant_path, headers=created["admin"])).json()
        assert (readable["referrer"]["name"], readable["personal_data_erased"]) == (
            "Synthetic Officer",
            False,
        )

        assert await destroy(app, referral.id) is True
        assert await destroy(app, referral.id) is False  # idempotent: nothing left to destroy

        _, after = await stored(app, created)
        assert after.referrer_sealed == before.referrer_sealed  # append-only: not a byte changed
        for path in (grant_path, f"/v1/consents/{withdrawal.json()['id']}"):
            reply = await client.get(path, headers=created["admin"])
            assert reply.status_code == 200, reply.text
            body = reply.json()
            assert (body["referrer"], body["personal_data_erased"]) == (None, True), path
            assert body["referral_references"] == [created["reference"]]
        assert "Synthetic Officer" not in (await client.get(grant_path, headers=created["admin"])).text
        async with app.state.sessionmaker() as session:
            assert await case_keys.for_receipt(session, app.state.vault, referral.consent_receipt_id) is None
            assert not await case_keys.exists(session, referral.id)

    async def test_a_case_without_a_referrer_reads_as_erased_too(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        created = await create_referral(client, bot_headers)
        admin = bearer(await create_principal(app, "admin", "Synthetic admin"))
        referral, receipt = await stored(app, created)
        assert receipt.referrer_sealed is None
        path = f"/v1/consents/{receipt.id}"
        assert (await client.get(path, headers=admin)).json()["personal_data_erased"] is False
        assert await destroy(app, referral.id) is True
        body = (await client.get(path, headers=admin)).json()
        assert (body["referrer"], body["personal_data_erased"]) == (None, True)

    async def test_destroying_an_unknown_case_is_false(self, app: FastAPI) -> None:
        assert await destroy(app, uuid.uuid4()) is False
