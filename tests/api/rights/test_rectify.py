"""Rectification of contact details: the new value is sealed and found by its index; the old value is not
kept anywhere in the database file (neither its sealed bytes nor its blind index), and the audit says which
field, never the values."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from api.referral.service import person_aad
from tests.api.rights.helpers import audit_events, dpo_headers, make_person, referral_row
from tests.builders import create_referral, referral_payload


def database_bytes(database_url: str) -> bytes:
    """The api database file after a checkpoint, with whatever is left of its WAL."""
    path = Path(database_url.split("///", 1)[1])
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


class TestRectify:
    async def test_the_old_phone_is_not_kept(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str], database_url: str
    ) -> None:
        payload = referral_payload(person={"phone": "07700 900333", "name": "Charliecanary-name"})
        reference = (await create_referral(client, bot_headers, payload))["reference"]
        before = await referral_row(app, reference)
        assert before is not None and before.phone_index is not None
        old_sealed, old_index = before.person_sealed, before.phone_index
        assert old_sealed in database_bytes(database_url)  # the scan can see it while it is there
        headers = await dpo_headers(app)

        reply = await client.post(
            "/v1/rights/rectify",
            json={"reference": reference, "field": "phone", "value": "07700 900444"},
            headers=headers,
        )
        assert reply.status_code == 200, reply.text

        after = await referral_row(app, reference)
        assert after is not None
        person_now = app.state.vault.cipher.open_json(after.person_sealed, person_aad(after.id))
        assert person_now["phone"] == "+447700900444"
        assert person_now["name"] == "Charliecanary-name"  # the other details stay
        assert after.phone_index != old_index
        found = await client.post("/v1/rights/find", json={"phone": "07700 900444"}, headers=headers)
        assert found.json()["references"] == [reference]
        database = database_bytes(database_url)
        assert old_sealed not in database
        assert after.person_sealed in database
        assert old_index.encode() not in database  # neither in the row nor in the index's b-tree
        assert b"900333" not in database

    async def test_email_index_follows_and_the_audit_names_only_the_field(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        person = await make_person(app, client, bot_headers, "Deltacanary", "07700 900555")
        headers = await dpo_headers(app)
        reply = await client.post(
            "/v1/rights/rectify",
            json={"reference": person.references[0], "field": "email", "value": "delta.new@example.org"},
            headers=headers,
        )
        assert reply.status_code == 200, reply.text
        old = await client.post("/v1/rights/find", json={"email": person.email}, headers=headers)
        new = await client.post("/v1/rights/find", json={"email": "Delta.New@example.org"}, headers=headers)
        assert old.json()["references"] == []
        assert new.json()["references"] == person.references  # found, with the number's other case
        [event] = [e for e in await audit_events(app) if e.action == "rights.rectify"]
        assert event.reason == "rectified field email"

    @pytest.mark.parametrize(
        ("field", "value"), [("phone", "not a number"), ("sms_safe", "perhaps"), ("email", "no-at-sign")]
    )
    async def test_an_impossible_value_is_refused(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str], field: str, value: str
    ) -> None:
        person = await make_person(app, client, bot_headers, "Echocanary", "07700 900666")
        reply = await client.post(
            "/v1/rights/rectify",
            json={"reference": person.references[0], "field": field, "value": value},
            headers=await dpo_headers(app),
        )
        assert reply.status_code == 422
        assert value not in reply.text
