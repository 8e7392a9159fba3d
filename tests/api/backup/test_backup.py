"""`python -m api backup PATH` / `restore PATH` (issue 15): the restore drill. Cases and an SMS are stored,
the database is backed up while the api is serving, wiped, restored, and everything opens again with the
same keys; the backup itself holds no personal field in clear."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from api.__main__ import main as cli
from api.backup.commands import BackupError, backup, check, restore
from api.config import Settings, get_settings
from api.main import create_app
from api.referral.service import person_aad
from api.sms.identity import contact_aad, conversation_id_for
from api.sms.models import SmsContact
from tests.api.rights.helpers import referral_row
from tests.builders import create_referral, referral_payload

PHONE = "07700 900456"


def database_file(settings: Settings) -> Path:
    return Path(make_url(settings.database_url).database or "")


def wipe(database: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


async def store_cases(app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]) -> list[str]:
    references = []
    for _ in range(3):
        payload = referral_payload()
        payload["person"]["phone"] = PHONE
        references.append((await create_referral(client, bot_headers, payload))["reference"])
    return references


async def read_back(settings: Settings, references: list[str]) -> list[str]:
    """Open every stored case's person with the keys in `settings`: their phone numbers."""
    app = create_app(settings)
    phones = []
    async with app.router.lifespan_context(app):
        for reference in references:
            row = await referral_row(app, reference)
            assert row is not None
            phones.append(app.state.vault.cipher.open_json(row.person_sealed, person_aad(row.id))["phone"])
    return phones


class TestRestoreDrill:
    async def test_backup_wipe_restore_and_every_case_opens_with_the_keys(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        bot_headers: dict[str, str],
        settings: Settings,
        tmp_path: Path,
    ) -> None:
        references = await store_cases(app, client, bot_headers)
        database = database_file(settings)
        target = tmp_path / "backups" / "api-backup.db"
        pages = backup(database, target)  # online: the app is running, its engine open
        assert pages > 0 and target.stat().st_mode & 0o077 == 0

        raw = target.read_bytes()
        assert b"900456" not in raw and b"Synthetic" not in raw  # sealed data stays sealed

        wipe(database)
        assert restore(target, database) > 0
        phones = await read_back(settings, references)
        assert len(phones) == 3 and all(p.replace(" ", "").endswith("7700900456") for p in phones)

    async def test_the_commands_through_the_cli(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        bot_headers: dict[str, str],
        settings: Settings,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        references = await store_cases(app, client, bot_headers)
        async with app.state.sessionmaker() as session, session.begin():
            conversation_id = conversation_id_for(app.state.vault, "+447700900456")
            session.add(
                SmsContact(
                    conversation_id=conversation_id,
                    phone_index="synthetic",
                    phone_sealed=app.state.vault.cipher.seal(
                        b"+447700900456", contact_aad(conversation_id).encode()
                    ),
                    last_choices=[],
                )
            )
        monkeypatch.setenv("DATABASE_URL", settings.database_url)
        monkeypatch.setenv("APP_ENV", "test")
        get_settings.cache_clear()
        target = tmp_path / "b.db"
        assert cli(["backup", str(target)]) == 0
        assert cli(["backup", str(target)]) == 1  # never overwrites
        assert "exists" in capsys.readouterr().out
        await create_referral(client, bot_headers, referral_payload())  # after the backup: gone on restore
        wipe(database_file(settings))
        assert cli(["restore", str(target)]) == 0
        with sqlite3.connect(database_file(settings)) as db:
            assert db.execute("SELECT count(*) FROM referral").fetchone()[0] == 3
            [(sealed,)] = db.execute("SELECT phone_sealed FROM sms_contact").fetchall()
        assert app.state.vault.cipher.open(sealed, contact_aad(conversation_id).encode()) == b"+447700900456"
        assert len(await read_back(settings, references)) == 3

    def test_a_file_that_is_not_a_backup_is_refused(self, tmp_path: Path) -> None:
        junk = tmp_path / "junk.db"
        junk.write_bytes(b"not a database at all" * 100)
        with pytest.raises(BackupError):
            check(junk)
        other = tmp_path / "other.db"
        with sqlite3.connect(other) as db:
            db.execute("CREATE TABLE t (x)")
        with pytest.raises(BackupError, match="not a backup of this service"):
            restore(other, tmp_path / "api.db")
        assert not (tmp_path / "api.db").exists()

    def test_postgresql_is_refused(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@127.0.0.1/x")
        monkeypatch.setenv("APP_ENV", "test")
        get_settings.cache_clear()
        assert cli(["backup", str(tmp_path / "x.db")]) == 1
