"""The canary scan: synthetic personal details written through every door of the API appear in plaintext
nowhere in the database files (the main file, the WAL before and after a checkpoint, the shared-memory
index) and nowhere in the logs, with every logger capturing at DEBUG (SQL statements and their parameters
included) and through the JSON formatter the service logs with.

A positive control makes each scan meaningful: the phone's blind index (which is stored) is found in the
WAL before the checkpoint and in the main file after it, so the scans read the bytes the writes produced.
"""

from __future__ import annotations

import csv
import io
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from api.observability import JsonFormatter
from api.police_feed.csv_format import COLUMNS
from tests.builders import (
    agency_answers,
    agency_referral_payload,
    bearer,
    create_principal,
    create_referral,
    referral_payload,
)

NAME = "Quintessa Marrowgate-Canary"
PHONE_LOCAL = "07700 900987"
PHONE_E164 = "+447700900987"
EMAIL = "quintessa.canary@example.org"
FREE_TEXT = "Synthetic canary: the violet heron sang at midnight"
REFERRER = "Ignatius Fernwhistle-Canary"
ADDRESS = "17 Canary Lantern Row"
POLICE_NAME = "Perpetua Canarywood"
POLICE_PHONE_LOCAL = "07700 900988"
POLICE_TEXT = "Synthetic canary: a lilac tortoise crossed the car park"
CANARIES = [
    NAME,
    "Marrowgate",
    PHONE_LOCAL,
    PHONE_E164,
    "7700900987",
    EMAIL,
    FREE_TEXT,
    "violet heron",
    REFERRER,
    "Fernwhistle",
    ADDRESS,
    POLICE_NAME,
    "Canarywood",
    "7700900988",
    POLICE_TEXT,
    "lilac tortoise",
]


def forms(canary: str) -> list[bytes]:
    """The ways a text could sit in a file: UTF-8, UTF-16 (either order), JSON-escaped."""
    return [canary.encode(), canary.encode("utf-16-le"), canary.encode("utf-16-be")]


def found_in(data: bytes) -> list[str]:
    return [c for c in CANARIES if any(form in data for form in forms(c))]


def database_files(database_url: str) -> dict[str, bytes]:
    path = Path(database_url.removeprefix("sqlite+aiosqlite:///"))
    return {p.name: p.read_bytes() for p in sorted(path.parent.glob(path.name + "*"))}


def police_feed() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    row = {
        "name": POLICE_NAME,
        "address": ADDRESS,
        "postcode": "ST4 1AA",
        "telephone": POLICE_PHONE_LOCAL,
        "email": EMAIL,
        "safe_contact_name": NAME,
        "hate_racial_indicator": "Y",
        "crime_description": POLICE_TEXT,
        "crime_reference": "SP/26/CANARY1",
        "officer": REFERRER,
        "date_received": "2026-11-20T10:00",
    }
    writer.writerow([row.get(column, "") for column in COLUMNS])
    return out.getvalue().encode()


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Everything every logger emits, at DEBUG, through the service's own JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


class TestCanaries:
    async def test_no_plaintext_in_the_database_files_or_the_logs(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        bot_headers: dict[str, str],
        database_url: str,
        caplog: pytest.LogCaptureFixture,
        json_log: io.StringIO,
    ) -> None:
        caplog.set_level(logging.DEBUG)  # the root logger: every logger without its own level
        for name in ("sqlalchemy", "sqlalchemy.engine", "aiosqlite", "httpx", "api"):
            caplog.set_level(logging.DEBUG, logger=name)

        # 1. The bot's referral (a web chat).
        bot_payload = referral_payload(
            person={"name": NAME, "phone": PHONE_LOCAL, "email": EMAIL, "sms_safe": True},
            answers={"incident_description": FREE_TEXT, "incident_when": "today", "hate_strand": "race"},
        )
        await create_referral(client, bot_headers, bot_payload)
        # 2. An agency's referral, the referrer named.
        agency = bearer(await create_principal(app, "agency", "Synthetic housing team"))
        agency_payload = agency_referral_payload(
            person={"name": NAME, "email": EMAIL},
            answers=agency_answers(incident_description=FREE_TEXT, contact_phone=PHONE_LOCAL),
        )
        agency_payload["consent"]["referrer"]["name"] = REFERRER
        await create_referral(client, bot_headers, agency_payload, as_headers=agency)
        # 3. The police feed, through the admin endpoint.
        admin = bearer(await create_principal(app, "admin", "Synthetic admin"))
        imported = await client.post(
            "/v1/admin/police-feed", content=police_feed(), headers={**admin, "content-type": "text/csv"}
        )
        assert imported.json()["imported"] == 1, imported.text
        # A read, so the decrypting path logs too.
        reference = imported.json()["imported_rows"][0]["reference"]
        assert (await client.get(f"/v1/referrals/{reference}", headers=admin)).json()["person"]["name"] == (
            POLICE_NAME
        )

        index = app.state.vault.index.of("phone", PHONE_E164).encode()
        before = database_files(database_url)
        assert before.get("api.db-wal"), "the WAL should hold the writes before a checkpoint"
        assert index in before["api.db-wal"]  # positive control: the scan reads what was written
        for name, data in before.items():
            assert found_in(data) == [], f"plaintext in {name} before the checkpoint"

        path = Path(database_url.removeprefix("sqlite+aiosqlite:///"))
        with sqlite3.connect(path) as raw:
            busy, _, _ = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0
        after = database_files(database_url)
        assert index in after["api.db"]
        for name, data in after.items():
            assert found_in(data) == [], f"plaintext in {name} after the checkpoint"

        formatter = JsonFormatter()
        assert any(r.levelno == logging.DEBUG for r in caplog.records), "DEBUG records should be captured"
        assert any(r.name.startswith("sqlalchemy.engine") for r in caplog.records)
        captured = "\n".join(
            [caplog.text, json_log.getvalue(), *(formatter.format(record) for record in caplog.records)]
        )
        assert found_in(captured.encode()) == []
