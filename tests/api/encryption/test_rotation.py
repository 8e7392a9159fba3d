"""Key rotation: data written under key A, ring [B, A], rotate, then A removed and every case still opens.

The commands run their own event loop (`asyncio.run`), so these tests are synchronous and drive the app
through `asyncio.run` too.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI

from api.__main__ import main
from api.config import Settings, get_settings
from api.encryption.service import generate_key
from api.kit.crypto import DecryptionError, FieldCipher
from api.main import create_app
from api.referral.service import answers_aad, person_aad, referrer_aad
from tests.builders import agency_referral_payload, bearer, create_principal, create_referral
from tests.conftest import BOT_TOKEN

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


def sealed_rows(path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as raw:
        return raw.execute(
            "SELECT r.id, r.person_sealed, r.answers_sealed, c.referrer_sealed, r.reference "
            "FROM referral r JOIN consent_receipt c ON c.id = r.consent_receipt_id"
        ).fetchall()


def referral_uuid(hex_id: str) -> uuid.UUID:
    return uuid.UUID(hex_id)


@pytest.fixture
def keys() -> tuple[str, str]:
    return generate_key(), generate_key()


@pytest.fixture
def db_path(database_url: str) -> Path:
    return Path(database_url.removeprefix("sqlite+aiosqlite:///"))


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


def rotate(database_url: str, ring: str, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> dict[str, Any]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ENCRYPTION_KEYS", ring)
    get_settings.cache_clear()
    assert main(["keys", "rotate", "--batch", "2"]) == 0
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


async def write_every_kind_of_case(app: FastAPI, client: httpx.AsyncClient) -> dict[str, Any]:
    admin = bearer(await create_principal(app, "admin", "Synthetic admin"))
    agency = bearer(await create_principal(app, "agency", "Synthetic housing team"))
    bot_case = await create_referral(client, BOT)
    agency_case = await create_referral(client, BOT, agency_referral_payload(), as_headers=agency)
    imported = await client.post(
        "/v1/admin/police-feed", content=FIXTURE.read_bytes(), headers={**admin, "content-type": "text/csv"}
    )
    assert imported.json()["imported"] == 4
    return {"admin": admin, "bot": bot_case, "agency": agency_case}


class TestRotate:
    def test_after_rotation_the_old_key_can_go_and_every_case_opens(
        self,
        database_url: str,
        db_path: Path,
        keys: tuple[str, str],
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        key_a, key_b = keys
        written = with_client(settings_with(database_url, key_a), write_every_kind_of_case)
        before = sealed_rows(db_path)
        assert len(before) == 6

        report = rotate(database_url, f"{key_b},{key_a}", monkeypatch, capsys)
        assert report["rotated"]["referral.person_sealed"] == {
            "rotated": 6,
            "already_newest": 0,
            "changed_meanwhile": 0,
            "unreadable": 0,
        }
        assert report["rotated"]["referral.answers_sealed"]["rotated"] == 6
        # The agency's receipt is append-only: its referrer stays under A, and the report says A is needed.
        assert report["kept_under_older_keys"] == {"consent_receipt.referrer_sealed": 1}
        assert report["older_keys_still_needed"] is True

        again = rotate(database_url, f"{key_b},{key_a}", monkeypatch, capsys)
        assert again["rotated"]["referral.person_sealed"]["rotated"] == 0
        assert again["rotated"]["referral.person_sealed"]["already_newest"] == 6
        assert again["rotated"]["referral.answers_sealed"]["already_newest"] == 6

        only_b = FieldCipher([base64.urlsafe_b64decode(key_b)])
        for hex_id, person, answers, _referrer, _reference in sealed_rows(db_path):
            referral_id = referral_uuid(hex_id)
            assert only_b.sealed_with_newest(person) and only_b.sealed_with_newest(answers)
            only_b.open(person, person_aad(referral_id).encode())
            only_b.open(answers, answers_aad(referral_id).encode())

        async def read_everything(app: FastAPI, client: httpx.AsyncClient) -> None:
            admin = written["admin"]
            for *_, reference in sealed_rows(db_path):
                detail = await client.get(f"/v1/referrals/{reference}", headers=admin)
                assert detail.status_code == 200, detail.text
                assert detail.json()["person"]
            bot_detail = (
                await client.get(f"/v1/referrals/{written['bot']['reference']}", headers=admin)
            ).json()
            assert bot_detail["person"]["phone"] == "+447700900123"
            # The phone blind index is keyed separately and is untouched by rotation.
            found = app.state.vault.index.of("phone", "+447700900123")
            assert found in {row[0] for row in _phone_indexes(db_path)}

        with_client(settings_with(database_url, key_b), read_everything)

    def test_append_only_receipts_keep_their_key_until_the_trigger_allows_re_sealing(
        self,
        database_url: str,
        db_path: Path,
        keys: tuple[str, str],
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        key_a, key_b = keys
        written = with_client(settings_with(database_url, key_a), write_every_kind_of_case)
        rotate(database_url, f"{key_b},{key_a}", monkeypatch, capsys)
        agency_row = next(row for row in sealed_rows(db_path) if row[4] == written["agency"]["reference"])
        aad = referrer_aad(referral_uuid(agency_row[0])).encode()
        with pytest.raises(DecryptionError, match="not in the ring"):
            FieldCipher([base64.urlsafe_b64decode(key_b)]).open(agency_row[3], aad)

        async def read_receipt(_app: FastAPI, client: httpx.AsyncClient) -> dict[str, Any]:
            path = f"/v1/consents/{written['agency']['consent_receipt_id']}"
            reply = await client.get(path, headers=written["admin"])
            assert reply.status_code == 200
            body: dict[str, Any] = reply.json()
            return body

        receipt = with_client(settings_with(database_url, f"{key_b},{key_a}"), read_receipt)
        assert receipt["referrer"]["name"] == "Synthetic Officer"

    def test_a_value_under_a_key_outside_the_ring_is_counted_and_fails_the_command(
        self,
        database_url: str,
        keys: tuple[str, str],
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        key_a, key_b = keys
        with_client(settings_with(database_url, key_a), write_every_kind_of_case)
        monkeypatch.setenv("DATABASE_URL", database_url)
        monkeypatch.setenv("ENCRYPTION_KEYS", key_b)  # A forgotten: nothing can be opened
        get_settings.cache_clear()
        assert main(["keys", "rotate"]) == 1
        report = json.loads(capsys.readouterr().out)
        assert report["rotated"]["referral.person_sealed"]["unreadable"] == 6
        assert report["older_keys_still_needed"] is True


def _phone_indexes(path: Path) -> list[tuple[str]]:
    with sqlite3.connect(path) as raw:
        return raw.execute("SELECT phone_index FROM referral WHERE phone_index IS NOT NULL").fetchall()


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
