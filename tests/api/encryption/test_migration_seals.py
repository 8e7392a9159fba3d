"""The migration that seals special-category data, on a database that already holds cases (SQLite and
PostgreSQL): the plain triage input, decision and crime reference are sealed, the routing fields copied to
clear columns, every case gets a key and the receipt's referrer is re-sealed with it, the append-only
trigger is back afterwards, nothing special is left in clear; and the downgrade gives it all back."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncConnection

from api.config import REPO_ROOT, get_settings
from api.db import create_engine
from api.encryption.case_keys import case_key_aad
from api.encryption.service import generate_key
from api.kit.crypto import DecryptionError, FieldCipher, Vault
from api.referral.service import (
    decision_aad,
    external_ref_aad,
    external_ref_index,
    referrer_aad,
    triage_input_aad,
)
from tests.pg import BOTH_DIALECTS, sqlite_or_postgresql

BEFORE = "5e8b3c1d7a26"
BLIND_INDEX_KEY = "synthetic-blind-index-key-for-migration-tests-0123"
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
T = TypeVar("T")

TRIAGE = {
    "incident_type": "domestic_abuse",
    "relationship": "partner",
    "da_red_flags": ["strangulation", "pregnancy"],
    "vulnerabilities": ["learning_disability"],
    "consent": "given",
    "received_at": "2026-11-21T10:00:00+00:00",
}
DECISION = {
    "outcome": "referred",
    "queue": "domestic_abuse_victim",
    "secondary_queue": "children_front_door",
    "tier": None,
    "enhanced_grounds": [],
    "emergency": False,
    "priority": "high",
    "deadline": "2026-11-23T17:00:00+00:00",
    "flags": ["high_risk_da", "children_in_household"],
    "reasons": [{"rule": "R3", "key": "triage.reason.R3_strangulation"}],
    "rules_version": "test",
}
CRIME_REFERENCE = "SP/26/OLD0042"
REFERRER = {"name": "Synthetic Legacy Referrer", "organisation": "Synthetic Homes"}

receipt = sa.table(
    "consent_receipt",
    *(sa.column(name) for name in ("kind", "lawful_basis", "language", "channel", "given_by")),
    sa.column("id", sa.Uuid()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("given_at", sa.DateTime(timezone=True)),
    sa.column("purposes", sa.JSON()),
    sa.column("wording_versions", sa.JSON()),
    sa.column("referrer_sealed", sa.LargeBinary()),
)
old_referral = sa.table(
    "referral",
    *(sa.column(name) for name in ("reference", "source", "language", "rules_version", "outcome", "queue")),
    *(sa.column(name) for name in ("tier", "priority", "external_ref")),
    sa.column("id", sa.Uuid()),
    sa.column("consent_receipt_id", sa.Uuid()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("received_at", sa.DateTime(timezone=True)),
    sa.column("emergency", sa.Boolean()),
    sa.column("person_sealed", sa.LargeBinary()),
    sa.column("answers_sealed", sa.LargeBinary()),
    sa.column("triage_input", sa.JSON()),
    sa.column("decision", sa.JSON()),
)


@pytest.fixture(params=BOTH_DIALECTS)
def database_url(request: pytest.FixtureRequest, database_url: str) -> Iterator[str]:
    yield from sqlite_or_postgresql(request, database_url)


@pytest.fixture
def vault(monkeypatch: pytest.MonkeyPatch) -> Iterator[Vault]:
    """The keys the migration reads from the settings, as the api would."""
    key = generate_key()
    monkeypatch.setenv("ENCRYPTION_KEYS", key)
    monkeypatch.setenv("BLIND_INDEX_KEY", BLIND_INDEX_KEY)
    get_settings.cache_clear()
    yield Vault([base64.urlsafe_b64decode(key)], BLIND_INDEX_KEY.encode())
    get_settings.cache_clear()


def alembic(database_url: str) -> Config:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    return config


def on(database_url: str, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = create_engine(database_url)
        try:
            async with engine.begin() as connection:
                return await work(connection)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def everything(database_url: str) -> bytes:
    async def read(connection: AsyncConnection) -> bytes:
        tables = ("referral", "consent_receipt", "case_key", "queue_entry", "audit_event")
        chunks: list[bytes] = []
        for table in tables:
            if table == "case_key" and not await connection.run_sync(
                lambda sync: sa.inspect(sync).has_table("case_key")
            ):
                continue
            statement = sa.text(f"SELECT * FROM {table}")  # noqa: S608 (the names above, not input)
            for row in (await connection.execute(statement)).all():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        chunks.append(bytes(value))
                    else:
                        chunks.append(json.dumps(value, default=str).encode())
        return b"\n".join(chunks)

    return on(database_url, read)


def test_existing_cases_are_sealed_and_the_downgrade_opens_them(database_url: str, vault: Vault) -> None:
    config = alembic(database_url)
    command.downgrade(config, BEFORE)  # the template is at head; an empty database goes down without keys
    first, second = uuid.uuid4(), uuid.uuid4()
    grant, other_grant = uuid.uuid4(), uuid.uuid4()
    cipher = vault.cipher

    async def write(connection: AsyncConnection) -> None:
        for receipt_id, referrer in ((grant, REFERRER), (other_grant, None)):
            await connection.execute(
                sa.insert(receipt).values(
                    id=receipt_id,
                    created_at=NOW,
                    given_at=NOW,
                    kind="grant",
                    lawful_basis="consent",
                    language="en",
                    channel="agency",
                    given_by="agency",
                    purposes=[],
                    wording_versions=[],
                    referrer_sealed=cipher.seal_json(referrer, referrer_aad(first)) if referrer else None,
                )
            )
        for referral_id, receipt_id, reference, external_ref in (
            (first, grant, "SR-2345-6789", CRIME_REFERENCE),
            (second, other_grant, "SR-2345-6790", None),
        ):
            await connection.execute(
                sa.insert(old_referral).values(
                    id=referral_id,
                    consent_receipt_id=receipt_id,
                    created_at=NOW,
                    received_at=NOW,
                    reference=reference,
                    source="agency",
                    language="en",
                    rules_version="test",
                    outcome="referred",
                    queue="domestic_abuse_victim",
                    tier=None,
                    priority="high",
                    emergency=False,
                    external_ref=external_ref,
                    person_sealed=b"\x00",
                    answers_sealed=b"\x00",
                    triage_input=TRIAGE,
                    decision=DECISION,
                )
            )

    on(database_url, write)
    assert b"strangulation" in everything(database_url)  # the positive control: plain before

    command.upgrade(config, "head")

    async def read_sealed(connection: AsyncConnection) -> list[Any]:
        statement = sa.text(
            "SELECT r.id, r.triage_input_sealed, r.decision_sealed, r.external_ref_index, "
            "r.external_ref_sealed, r.secondary_queue, r.flags, k.wrapped, c.referrer_sealed "
            "FROM referral r JOIN case_key k ON k.referral_id = r.id "
            "JOIN consent_receipt c ON c.id = r.consent_receipt_id ORDER BY r.reference"
        ).columns(id=sa.Uuid(), flags=sa.JSON())
        return list((await connection.execute(statement)).all())

    rows = on(database_url, read_sealed)
    assert [row[0] for row in rows] == [first, second]
    for row in rows:
        referral_id = row[0]
        assert json.loads(cipher.open(row[1], triage_input_aad(referral_id).encode())) == TRIAGE
        assert json.loads(cipher.open(row[2], decision_aad(referral_id).encode())) == DECISION
        assert (row[5], row[6]) == ("children_front_door", ["high_risk_da", "children_in_household"])
        key = cipher.open(row[7], case_key_aad(referral_id).encode())
        assert len(key) == 32
    crime = rows[0]
    assert crime[3] == external_ref_index(vault, CRIME_REFERENCE.lower())
    assert cipher.open(crime[4], external_ref_aad(first).encode()).decode() == CRIME_REFERENCE
    assert rows[1][3] is None and rows[1][4] is None
    # The legacy referrer is now under its case key, and no longer under the vault.
    case_key = cipher.open(crime[7], case_key_aad(first).encode())
    assert json.loads(FieldCipher([case_key]).open(crime[8], referrer_aad(first).encode())) == REFERRER
    with pytest.raises(DecryptionError):
        cipher.open(crime[8], referrer_aad(first).encode())
    assert rows[1][8] is None

    stored = everything(database_url)
    for canary in ("strangulation", "pregnancy", "learning_disability", "R3_strangulation", "OLD0042"):
        assert canary.encode() not in stored, canary
    assert b"high_risk_da" in stored  # the flags are in clear, as the queue lists need

    # The append-only refusal is back: the receipt cannot be updated (nor deleted).
    async def update_receipt(connection: AsyncConnection) -> None:
        await connection.execute(sa.text("UPDATE consent_receipt SET kind = 'withdrawal'"))

    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        on(database_url, update_receipt)

    command.downgrade(config, BEFORE)

    async def read_plain(connection: AsyncConnection) -> list[Any]:
        return list(
            (
                await connection.execute(
                    sa.select(
                        old_referral.c.triage_input,
                        old_referral.c.decision,
                        old_referral.c.external_ref,
                        receipt.c.referrer_sealed,
                    )
                    .join(receipt, receipt.c.id == old_referral.c.consent_receipt_id)
                    .order_by(old_referral.c.reference)
                )
            ).all()
        )

    plain = on(database_url, read_plain)
    assert [(r[0], r[1], r[2]) for r in plain] == [
        (TRIAGE, DECISION, CRIME_REFERENCE),
        (TRIAGE, DECISION, None),
    ]
    assert cipher.open_json(plain[0][3], referrer_aad(first)) == REFERRER
    command.upgrade(config, "head")
