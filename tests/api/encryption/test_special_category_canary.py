"""Special-category data is sealed: a scan of every row of every table (SQLite and PostgreSQL), and on SQLite
of the database files themselves (main file and WAL, before and after a checkpoint), finds none of the
canaries in clear: hate strands, vulnerabilities, DA red flags (strangulation, sexual abuse, pregnancy) given
through the bot, an agency and the police feed, and the police crime reference.

Positive controls make the scan meaningful: each canary is read back from the sealed triage input (so it was
stored), and the phone's blind index, which is stored in clear, is found by the same scan.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from api.models import Base
from api.police_feed.csv_format import COLUMNS
from api.referral.models import Referral
from api.referral.service import decision_of, external_ref_of, triage_input_of
from tests.builders import (
    agency_answers,
    agency_referral_payload,
    bearer,
    create_principal,
    create_referral,
    referral_payload,
)
from tests.pg import BOTH_DIALECTS, sqlite_or_postgresql

CRIME_REFERENCE = "SP/26/CANARY7"
# Values that only the triage input (and the sealed answers) hold: none is a queue, tier, priority or flag.
SPECIAL = [
    "sexual_orientation",
    "transgender",
    "mental_health",
    "learning_disability",
    "strangulation",
    "sexual_abuse",
    "pregnancy",
]
CANARIES = [*SPECIAL, CRIME_REFERENCE, "CANARY7"]
PHONE = "+447700900123"


@pytest.fixture(params=BOTH_DIALECTS)
def database_url(request: pytest.FixtureRequest, database_url: str) -> Iterator[str]:
    yield from sqlite_or_postgresql(request, database_url)


def found_in(data: bytes) -> list[str]:
    forms = {c: [c.encode(), c.upper().encode(), c.encode("utf-16-le")] for c in CANARIES}
    return [c for c, encoded in forms.items() if any(form in data for form in encoded)]


def police_feed() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    row = {
        "name": "Synthetic Canary Person",
        "postcode": "ST4 1AA",
        "telephone": "07700 900988",
        "domestic_indicator": "Y",
        "crime_description": "Synthetic: a partner's threats",
        "aggravating_factors": "strangulation; pregnancy",
        "relationship_of_perpetrator": "partner",
        "crime_reference": CRIME_REFERENCE,
        "vulnerabilities": "mental_health",
        "date_received": "2026-11-20T10:00",
    }
    writer.writerow([row.get(column, "") for column in COLUMNS])
    return out.getvalue().encode()


def as_bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False).encode()
    return str(value).encode()


# The anonymous counters (api/stats) count cases by hate strand, with no identifier and no link to a case:
# by design the only table where a strand is written in clear (issue 13: counters for commissioners).
COUNTERS = "stats_count"


async def every_row(app: FastAPI, *, but: str | None = None, only: str | None = None) -> bytes:
    """Every value of every table (`but` one, or `only` one), as the database gives it back (bytes as bytes,
    JSON as text)."""
    chunks: list[bytes] = []
    async with app.state.sessionmaker() as session:
        for table in Base.metadata.sorted_tables:
            if table.name == but or (only is not None and table.name != only):
                continue
            for row in (await session.execute(select(table))).all():
                chunks.extend(as_bytes(value) for value in row)
    return b"\n".join(chunks)


def database_files(database_url: str) -> dict[str, bytes]:
    path = Path(database_url.removeprefix("sqlite+aiosqlite:///"))
    return {p.name: p.read_bytes() for p in sorted(path.parent.glob(path.name + "*"))}


async def test_no_special_category_value_or_crime_reference_is_stored_in_clear(
    app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str], database_url: str
) -> None:
    # The bot: a hate crime against a gay, transgender person with a learning disability and mental health
    # needs, and a domestic abuse case with strangulation, sexual abuse and pregnancy.
    hate = referral_payload()
    hate["triage"] = {
        "incident_type": "hate",
        "hate_strands": ["sexual_orientation", "transgender"],
        "vulnerabilities": ["mental_health", "learning_disability"],
        "consent": "given",
    }
    hate["answers"]["hate_strand"] = "sexual_orientation"
    await create_referral(client, bot_headers, hate)
    abuse = referral_payload()
    abuse["triage"] = {
        "incident_type": "domestic_abuse",
        "relationship": "partner",
        "da_red_flags": ["strangulation", "sexual_abuse", "pregnancy"],
        "consent": "given",
    }
    abuse["answers"] = {"incident_description": "Synthetic", "da_red_flags": ["strangulation", "pregnancy"]}
    await create_referral(client, bot_headers, abuse)
    # An agency's hate crime referral (its triage input built from its answers).
    agency = bearer(await create_principal(app, "agency", "Synthetic housing team"))
    await create_referral(
        client, bot_headers, agency_referral_payload(answers=agency_answers(age=34)), as_headers=agency
    )
    # The police feed.
    admin = bearer(await create_principal(app, "admin", "Synthetic admin"))
    imported = await client.post(
        "/v1/admin/police-feed", content=police_feed(), headers={**admin, "content-type": "text/csv"}
    )
    assert imported.json()["imported"] == 1, imported.text
    # Importing it again is still recognised as a duplicate (found by the blind index).
    again = await client.post(
        "/v1/admin/police-feed", content=police_feed(), headers={**admin, "content-type": "text/csv"}
    )
    assert (again.json()["imported"], again.json()["duplicates"]) == (0, 1), again.text

    # Positive controls: every canary was stored (it opens), and the scan sees what is kept in clear.
    vault = app.state.vault
    opened: list[bytes] = []
    async with app.state.sessionmaker() as session:
        for referral in await session.scalars(select(Referral)):
            opened.append(json.dumps(triage_input_of(vault, referral)).encode())
            opened.append(json.dumps(decision_of(vault, referral)).encode())
            opened.append((external_ref_of(vault, referral) or "").encode())
    assert sorted(found_in(b"\n".join(opened))) == sorted(CANARIES)
    rows = await every_row(app, but=COUNTERS)
    assert vault.index.of("phone", PHONE).encode() in rows
    assert b"high_risk_da" in rows  # the decision's flags stay in clear, for the queue lists

    assert found_in(rows) == [], "special-category data in clear in the database"
    # The counters hold the two strands of the hate crime above (a count, no identifier), nothing else.
    counted = found_in(await every_row(app, only=COUNTERS))
    assert sorted(counted) == ["sexual_orientation", "transgender"]

    def uncounted(data: bytes) -> list[str]:
        return [c for c in found_in(data) if c not in counted]

    if database_url.startswith("sqlite"):
        for name, data in database_files(database_url).items():
            assert uncounted(data) == [], f"in clear in {name} before the checkpoint"
        with sqlite3.connect(Path(database_url.removeprefix("sqlite+aiosqlite:///"))) as raw:
            busy, _, _ = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0
        after = database_files(database_url)
        assert vault.index.of("phone", PHONE).encode() in after["api.db"]
        for name, data in after.items():
            assert uncounted(data) == [], f"in clear in {name} after the checkpoint"
