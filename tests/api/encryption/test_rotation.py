"""Key rotation: data written under key A, ring [B, A], rotate, then A removed and every sealed value still
opens (referrals, triage input and decision, crime references, case keys and the receipts they open, SMS
numbers and bodies, a caseworker's TOTP secret and the notes on a case: after rotation the caseworker
still signs in with a code and reads them), on SQLite and PostgreSQL.

The commands run their own event loop (`asyncio.run`), so these tests are synchronous and drive the app
through `asyncio.run` too.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text

from api.__main__ import main
from api.accounts import service as accounts
from api.accounts.models import Account, AccountRole
from api.accounts.service import totp_aad
from api.auth import OPERATOR
from api.config import Settings, get_settings
from api.consent.models import ConsentReceipt
from api.db import create_engine
from api.encryption.case_keys import case_key_aad
from api.encryption.service import generate_key
from api.kit.crypto import FieldCipher, Vault
from api.main import create_app
from api.queue import activity
from api.queue import service as queue_service
from api.queue.activity import text_aad
from api.queue.models import AttemptOutcome, ContactChannel, QueueEntry
from api.referral.models import Referral
from api.referral.service import (
    answers_aad,
    decision_aad,
    decision_of,
    external_ref_aad,
    external_ref_exists,
    person_aad,
    referrer_aad,
    triage_input_aad,
    triage_input_of,
)
from api.sms.identity import contact_aad, conversation_id_for, inbound_aad, outbound_aad
from api.sms.inbound import accept_inbound
from api.sms.models import SmsOutbound
from api.sms.schemas import InboundSms
from api.triage.schemas import Queue
from tests.api.console.conftest import Login, sign_in
from tests.builders import agency_referral_payload, bearer, create_principal, create_referral
from tests.conftest import BOT_TOKEN
from tests.pg import BOTH_DIALECTS, sqlite_or_postgresql

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "police_feed.csv"
BOT = {"Authorization": f"Bearer {BOT_TOKEN}"}
T = TypeVar("T")


def with_client(settings: Settings, work: Callable[[FastAPI, httpx.AsyncClient], Awaitable[T]]) -> T:
    async def run() -> T:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                return await work(app, client)

    return asyncio.run(run())


@pytest.fixture
def keys() -> tuple[str, str]:
    return generate_key(), generate_key()


@pytest.fixture(params=BOTH_DIALECTS)
def database_url(request: pytest.FixtureRequest, database_url: str) -> Iterator[str]:
    yield from sqlite_or_postgresql(request, database_url)


def settings_with(database_url: str, ring: str) -> Settings:
    return Settings(
        app_env="test",
        database_url=database_url,
        bot_service_token=BOT_TOKEN,
        encryption_keys=ring,
        blind_index_key="synthetic-blind-index-key-for-tests-0123456789",
        allow_fictional_phone_numbers=True,
        _env_file=None,
    )


def rotate(
    database_url: str, ring: str, monkeypatch: pytest.MonkeyPatch, capsys: Any, exit_code: int = 0
) -> dict[str, Any]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ENCRYPTION_KEYS", ring)
    get_settings.cache_clear()
    assert main(["keys", "rotate", "--batch", "2"]) == exit_code
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


def raw(database_url: str, statement: str) -> list[Any]:
    """Rows read straight from the database (either dialect), not through the api."""

    async def read() -> list[Any]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as connection:
                return list((await connection.execute(text(statement))).all())
        finally:
            await engine.dispose()

    return asyncio.run(read())


def as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


SMS_NUMBERS = ("+447700900201", "+447700900202")
SMS_BODIES = ("Synthetic text one", "Synthetic text two", "Synthetic text three")


async def write_sms(app: FastAPI) -> None:
    """Two numbers texting (contacts and inbound messages, through the real inbound path), two replies
    waiting in the outbox."""
    vault: Vault = app.state.vault
    for n, body in enumerate(SMS_BODIES):
        number = SMS_NUMBERS[n % 2]
        message = InboundSms(f"SM{n:032d}", number, "+441782000000", body, 0, None)
        assert await accept_inbound(app.state.sessionmaker, vault, message)
    async with app.state.sessionmaker() as session, session.begin():
        for seq, number in enumerate(SMS_NUMBERS):
            outbound_id = uuid.uuid4()
            session.add(
                SmsOutbound(
                    id=outbound_id,
                    seq=seq,
                    conversation_id=conversation_id_for(vault, number),
                    sender_number="+441782000000",
                    body_sealed=vault.cipher.seal(b"Synthetic reply", outbound_aad(outbound_id).encode()),
                )
            )


async def write_every_kind_of_case(app: FastAPI, client: httpx.AsyncClient) -> dict[str, Any]:
    admin = bearer(await create_principal(app, "admin", "Synthetic admin"))
    agency = bearer(await create_principal(app, "agency", "Synthetic housing team"))
    bot_case = await create_referral(client, BOT)
    agency_case = await create_referral(client, BOT, agency_referral_payload(), as_headers=agency)
    imported = await client.post(
        "/v1/admin/police-feed", content=FIXTURE.read_bytes(), headers={**admin, "content-type": "text/csv"}
    )
    assert imported.json()["imported"] == 4
    await write_sms(app)
    console = await write_console(app)
    return {"admin": admin, "bot": bot_case, "agency": agency_case, "console": console}


NOTE = "Synthetic note: rang twice, no answer"
ATTEMPT = "Synthetic attempt: left no message"


async def write_console(app: FastAPI) -> dict[str, Any]:
    """A caseworker's account (its TOTP secret sealed) holding the bot's case, with a note and a contact
    attempt on it (their text sealed)."""
    vault: Vault = app.state.vault
    async with app.state.sessionmaker() as session, session.begin():
        issued = await accounts.create(
            session, vault, OPERATOR, username="synthetic-cw", name="Synthetic caseworker",
            role=AccountRole.caseworker, queues=["hate_crime"],
        )  # fmt: skip
        account = await session.scalar(select(Account).where(Account.username == "synthetic-cw"))
        assert account is not None
        person = await accounts.person_of(session, account.id)
        assert person is not None
        claimed = await queue_service.claim(session, vault, person.caller, Queue.HATE_CRIME, 900)
        entry = await session.get_one(QueueEntry, uuid.UUID(claimed.entry_id))
        await activity.add_note(session, vault, person.caller, entry, NOTE)
        await activity.record_attempt(
            session, vault, person.caller, entry, ContactChannel.phone, AttemptOutcome.no_answer, ATTEMPT
        )
    login = Login(issued.username, issued.password, issued.totp_secret)
    return {"login": login, "entry_id": claimed.entry_id}


# How many values each sealed column holds after write_every_kind_of_case: six referrals (the bot's, an
# agency's, four from the police feed), four crime references, six case keys, two numbers texting three
# messages, two replies waiting.
EXPECTED = {
    "referral.person_sealed": 6,
    "referral.answers_sealed": 6,
    "referral.triage_input_sealed": 6,
    "referral.decision_sealed": 6,
    "referral.external_ref_sealed": 4,
    "case_key.wrapped": 6,
    "sms_contact.phone_sealed": 2,
    "sms_inbound.body_sealed": 3,
    "sms_outbound.body_sealed": 2,
    "account.totp_sealed": 1,
    "case_activity.text_sealed": 2,
}


def open_everything_with(database_url: str, only: FieldCipher) -> dict[str, int]:
    """Open every sealed value in the database with `only` (and the associated data it is bound to), and
    the receipts' referrers with their case keys. Counts per column."""
    opened: dict[str, int] = {}

    def check(column: str, sealed: bytes, aad: str) -> None:
        assert only.sealed_with_newest(sealed), column
        only.open(sealed, aad.encode())
        opened[column] = opened.get(column, 0) + 1

    for row in raw(
        database_url,
        "SELECT id, person_sealed, answers_sealed, triage_input_sealed, decision_sealed, external_ref_sealed "
        "FROM referral",
    ):
        referral_id = as_uuid(row[0])
        check("referral.person_sealed", row[1], person_aad(referral_id))
        check("referral.answers_sealed", row[2], answers_aad(referral_id))
        check("referral.triage_input_sealed", row[3], triage_input_aad(referral_id))
        check("referral.decision_sealed", row[4], decision_aad(referral_id))
        if row[5] is not None:
            check("referral.external_ref_sealed", row[5], external_ref_aad(referral_id))
    for referral_id, wrapped, referrer in raw(
        database_url,
        "SELECT k.referral_id, k.wrapped, c.referrer_sealed FROM case_key k "
        "JOIN consent_receipt c ON c.id = k.consent_receipt_id",
    ):
        check("case_key.wrapped", wrapped, case_key_aad(as_uuid(referral_id)))
        if referrer is not None:
            case_key = only.open(wrapped, case_key_aad(as_uuid(referral_id)).encode())
            FieldCipher([case_key]).open(referrer, referrer_aad(as_uuid(referral_id)).encode())
    for conversation_id, phone in raw(database_url, "SELECT conversation_id, phone_sealed FROM sms_contact"):
        check("sms_contact.phone_sealed", phone, contact_aad(conversation_id))
    for sid, body in raw(database_url, "SELECT message_sid, body_sealed FROM sms_inbound"):
        check("sms_inbound.body_sealed", body, inbound_aad(sid))
    for outbound_id, body in raw(database_url, "SELECT id, body_sealed FROM sms_outbound"):
        check("sms_outbound.body_sealed", body, outbound_aad(as_uuid(outbound_id)))
    for account_id, totp in raw(database_url, "SELECT id, totp_sealed FROM account"):
        check("account.totp_sealed", totp, totp_aad(as_uuid(account_id)))
    for activity_id, referral_id, text_sealed in raw(
        database_url, "SELECT id, referral_id, text_sealed FROM case_activity WHERE text_sealed IS NOT NULL"
    ):
        check("case_activity.text_sealed", text_sealed, text_aad(as_uuid(activity_id), as_uuid(referral_id)))
    return opened


class TestRotate:
    def test_after_rotation_the_old_key_can_go_and_every_sealed_value_opens(
        self,
        database_url: str,
        keys: tuple[str, str],
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        key_a, key_b = keys
        written = with_client(settings_with(database_url, key_a), write_every_kind_of_case)
        receipts_before = raw(database_url, "SELECT id, referrer_sealed FROM consent_receipt ORDER BY id")

        report = rotate(database_url, f"{key_b},{key_a}", monkeypatch, capsys)
        assert report["rotated"] == {
            column: {"rotated": count, "already_newest": 0, "changed_meanwhile": 0, "unreadable": 0}
            for column, count in EXPECTED.items()
        }
        # Referrers are sealed with their case's key: the receipts need no re-sealing, so A is not needed.
        assert report["kept_under_older_keys"] == {"consent_receipt.referrer_sealed": 0}
        assert report["older_keys_still_needed"] is False
        # Append-only: not one receipt was changed by the rotation.
        assert (
            raw(database_url, "SELECT id, referrer_sealed FROM consent_receipt ORDER BY id")
            == receipts_before
        )

        again = rotate(database_url, f"{key_b},{key_a}", monkeypatch, capsys)
        for column, count in EXPECTED.items():
            assert again["rotated"][column] == {
                "rotated": 0,
                "already_newest": count,
                "changed_meanwhile": 0,
                "unreadable": 0,
            }, column

        # A removed: every value opens with B alone, SMS included.
        only_b = FieldCipher([base64.urlsafe_b64decode(key_b)])
        assert open_everything_with(database_url, only_b) == EXPECTED

        references = [row[0] for row in raw(database_url, "SELECT reference FROM referral")]
        phone_indexes = {row[0] for row in raw(database_url, "SELECT phone_index FROM referral")}

        async def read_everything(app: FastAPI, client: httpx.AsyncClient) -> None:
            admin = written["admin"]
            for reference in references:
                detail = await client.get(f"/v1/referrals/{reference}", headers=admin)
                assert detail.status_code == 200, detail.text
                assert detail.json()["person"]
            bot_detail = (
                await client.get(f"/v1/referrals/{written['bot']['reference']}", headers=admin)
            ).json()
            assert bot_detail["person"]["phone"] == "+447700900123"
            receipt = await client.get(
                f"/v1/consents/{written['agency']['consent_receipt_id']}", headers=admin
            )
            assert receipt.status_code == 200, receipt.text
            assert receipt.json()["referrer"]["name"] == "Synthetic Officer"
            assert receipt.json()["personal_data_erased"] is False
            vault: Vault = app.state.vault
            async with app.state.sessionmaker() as session:
                for referral in await session.scalars(select(Referral)):
                    assert decision_of(vault, referral)["queue"] == referral.queue
                    assert triage_input_of(vault, referral)["received_at"]
                # The police feed's duplicate detection still finds every crime reference.
                for crime_reference in ("SP/26/000101", "sp/26/000104 "):
                    assert await external_ref_exists(session, vault, crime_reference)
            # The phone blind index is keyed separately and is untouched by rotation.
            found = vault.index.of("phone", "+447700900123")
            assert found in phone_indexes
            # The caseworker signs in with a TOTP code (the secret opened with B alone) and reads the
            # case's note and contact attempt.
            console = written["console"]
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as browser:
                signed = await sign_in(browser, console["login"])
                assert (signed.status_code, signed.headers["location"]) == (303, "/console")
                case = await browser.get(f"/console/cases/{console['entry_id']}")
                assert case.status_code == 200
                assert NOTE in case.text and ATTEMPT in case.text

        with_client(settings_with(database_url, key_b), read_everything)

    def test_a_receipt_sealed_by_the_vault_before_case_keys_keeps_its_key_in_the_ring(
        self,
        database_url: str,
        keys: tuple[str, str],
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        key_a, key_b = keys

        async def write_legacy(app: FastAPI, client: httpx.AsyncClient) -> dict[str, Any]:
            written = await write_every_kind_of_case(app, client)
            # As a receipt was sealed before per-case keys (the migration converts these; one left behind,
            # or restored from an old backup): its referrer under the vault's key, no case key.
            async with app.state.sessionmaker() as session, session.begin():
                referral = (await session.scalars(select(Referral).where(Referral.source == "agency"))).one()
                receipt = await session.get_one(ConsentReceipt, referral.consent_receipt_id)
                legacy = ConsentReceipt(
                    kind="grant", lawful_basis="consent", purposes=list(receipt.purposes),
                    wording_versions=[], language="en", channel="agency", given_by="agency",
                    given_at=receipt.given_at,
                    referrer_sealed=app.state.vault.cipher.seal_json(
                        {"name": "Synthetic Legacy"}, referrer_aad(referral.id)
                    ),
                )  # fmt: skip
                session.add(legacy)
            return written

        with_client(settings_with(database_url, key_a), write_legacy)
        report = rotate(database_url, f"{key_b},{key_a}", monkeypatch, capsys)
        assert report["kept_under_older_keys"] == {"consent_receipt.referrer_sealed": 1}
        assert report["older_keys_still_needed"] is True

    def test_a_value_under_a_key_outside_the_ring_is_counted_and_fails_the_command(
        self,
        database_url: str,
        keys: tuple[str, str],
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        key_a, key_b = keys
        with_client(settings_with(database_url, key_a), write_every_kind_of_case)
        # A forgotten: nothing can be opened, and every column says so.
        report = rotate(database_url, key_b, monkeypatch, capsys, exit_code=1)
        for column, count in EXPECTED.items():
            assert report["rotated"][column]["unreadable"] == count, column
        assert report["older_keys_still_needed"] is True


class TestGenerate:
    def test_prints_a_new_32_byte_key_that_settings_accept(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["keys", "generate"]) == 0
        first = capsys.readouterr().out.strip()
        main(["keys", "generate"])
        second = capsys.readouterr().out.strip()
        assert first != second
        assert len(base64.urlsafe_b64decode(first)) == 32
        settings = Settings(
            app_env="production",
            bot_service_token="b" * 40,
            encryption_keys=f"{first},{second}",
            blind_index_key="k" * 40,
            allow_fictional_phone_numbers=False,
            twilio_account_sid="AC" + "9" * 32,
            twilio_auth_token="t" * 32,
            twilio_from_number="+441782000000",
            _env_file=None,
        )
        assert len(settings.encryption_key_ring()) == 2
