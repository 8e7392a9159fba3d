"""The migrations on a SQLite database that already holds cases: SQLite alters a table by rebuilding it,
which must not trip over the rows that point at it (a referral's queue entries), nor break any of them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config

from api.config import REPO_ROOT

FIRST = "d29d55a8c7d2"
RECEIPT, REFERRAL, ENTRY = "a" * 32, "b" * 32, "c" * 32
NOW = "2026-11-21 10:00:00.000000+00:00"


def alembic(path: Path) -> Config:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.attributes["database_url"] = f"sqlite+aiosqlite:///{path}"
    config.attributes["configure_logger"] = False
    return config


def test_upgrading_a_database_with_a_case_keeps_it_whole(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    command.upgrade(alembic(path), FIRST)
    with sqlite3.connect(path) as db:  # one synthetic case, as the first schema stored it
        db.execute("PRAGMA foreign_keys=ON")
        db.execute(
            "INSERT INTO consent_receipt (kind, lawful_basis, purposes, wording_versions, language, channel, "
            "given_by, given_at, id, created_at) VALUES ('consent', 'consent', '[]', '[]', 'en', 'web_chat', "
            "'person', ?, ?, ?)",
            (NOW, RECEIPT, NOW),
        )
        db.execute(
            "INSERT INTO referral (reference, source, language, consent_receipt_id, person_sealed,"
            " answers_sealed, triage_input, decision, rules_version, outcome, queue, tier, priority,"
            " emergency, received_at, id, created_at)"
            " VALUES ('SR-2345-6789', 'web_chat', 'en', ?, x'00', x'00', '{}', '{}', 'test',"
            " 'referred', 'hate_crime', 'standard', 'normal', 0, ?, ?, ?)",
            (RECEIPT, NOW, REFERRAL, NOW),
        )
        db.execute(
            "INSERT INTO queue_entry (referral_id, queue, is_secondary, status, priority_rank, received_at,"
            " updated_at, id, created_at) VALUES (?, 'hate_crime', 0, 'waiting', 3, ?, ?, ?, ?)",
            (REFERRAL, NOW, NOW, ENTRY, NOW),
        )
    command.upgrade(alembic(path), "head")
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT reference FROM referral").fetchall() == [("SR-2345-6789",)]
        assert db.execute("SELECT referral_id FROM queue_entry").fetchall() == [(REFERRAL,)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
