"""Ending a conversation deletes its events from Rasa's tracker store (a SQLite file here, laid out as Rasa
3.6's SQLTrackerStore makes it); other conversations' events stay. The real stack proves it with Rasa itself
(tests/browser/test_web_chat.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from api.config import Settings
from api.conversation.relay import RasaRelay
from api.conversation.tracker import TrackerStore, tracker_store_url
from tests.api.world import fake_rasa


def make_tracker_db(path: Path, rows: dict[str, int]) -> None:
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
            "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
            "action_name VARCHAR(255), data TEXT)"
        )
        for sender, count in rows.items():
            for _ in range(count):
                db.execute(
                    "INSERT INTO events (sender_id, type_name, data) VALUES (?, 'user', ?)",
                    (sender, '{"text": "Synthetic: a message"}'),
                )


def exists(path: str) -> bool:
    return Path(path).exists()


def count(path: Path, sender: str) -> int:
    with sqlite3.connect(path) as db:
        found: int = db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]
        return found


@pytest.fixture
async def fake_bot(app: FastAPI) -> None:
    await app.state.relay.close()
    app.state.relay = RasaRelay("http://rasa", 5, transport=httpx.MockTransport(fake_rasa))


class TestEndingPurges:
    async def test_the_conversations_events_go_and_no_others(
        self, app: FastAPI, client: httpx.AsyncClient, settings: Settings, fake_bot: None
    ) -> None:
        started = await client.post("/v1/chat/conversations", json={"language": "en"})
        conversation = started.json()["id"]
        tracker = Path(settings.rasa_tracker_db)
        make_tracker_db(tracker, {conversation: 5, "w_someone_else": 3})

        reply = await client.delete(f"/v1/chat/conversations/{conversation}")

        assert reply.status_code == 204
        assert count(tracker, conversation) == 0
        assert count(tracker, "w_someone_else") == 3
        after = await client.post(f"/v1/chat/conversations/{conversation}/messages", json={"text": "hello"})
        assert after.status_code == 410

    async def test_no_tracker_file_is_nothing_to_purge_and_none_is_created(
        self, client: httpx.AsyncClient, settings: Settings, fake_bot: None
    ) -> None:
        conversation = (await client.post("/v1/chat/conversations", json={"language": "en"})).json()["id"]
        assert (await client.delete(f"/v1/chat/conversations/{conversation}")).status_code == 204
        assert not exists(settings.rasa_tracker_db)


class TestTrackerStore:
    async def test_a_broken_store_is_reported_not_raised(self, tmp_path: Path) -> None:
        path = tmp_path / "not-a-tracker.db"
        sqlite3.connect(path).close()  # a database without Rasa's table
        store = TrackerStore(f"sqlite+aiosqlite:///{path}")
        try:
            assert await store.forget("w_anyone") is None
        finally:
            await store.close()

    @pytest.mark.parametrize(
        ("overrides", "url"),
        [
            ({"rasa_tracker_db": "data/rasa-tracker.db"}, "sqlite+aiosqlite:///data/rasa-tracker.db"),
            ({"rasa_tracker_db": "/srv/rasa.db"}, "sqlite+aiosqlite:////srv/rasa.db"),
            (
                {"rasa_tracker_host": "postgresql://rasa:pw@db.internal:5432/tracker"},
                "postgresql+asyncpg://rasa:pw@db.internal:5432/tracker",
            ),
            (
                {
                    "rasa_tracker_dialect": "postgresql",
                    "rasa_tracker_host": "db.internal",
                    "rasa_tracker_db": "t",
                },
                "postgresql+asyncpg://db.internal/t",
            ),
        ],
    )
    def test_the_url_from_the_bots_settings(self, overrides: dict[str, str], url: str) -> None:
        settings = Settings(app_env="test", _env_file=None, **overrides)  # type: ignore[arg-type]
        assert tracker_store_url(settings) == url

    def test_an_unknown_dialect_is_refused(self) -> None:
        with pytest.raises(ValueError, match="RASA_TRACKER_DIALECT"):
            tracker_store_url(Settings(app_env="test", _env_file=None, rasa_tracker_dialect="oracle"))
