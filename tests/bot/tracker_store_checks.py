"""Checks of bot/server/tracker_store.py, run in the bot environment (tests/bot/bot_env.py) against a real
database: a fresh SQLite file, or the PostgreSQL database named by TRACKER_CHECK_URL
(tests/bot/test_tracker_store_pg.py passes one from a throwaway server).

The cached store must write exactly the rows Rasa's own SQL store writes, give back what Rasa's own store
would read, and never serve a cached tracker the store no longer agrees with: rows deleted by the api
(retention, a conversation ended), rows added by another Rasa process, changes never saved."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.core.utils import read_endpoints_from_path
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.server.tracker_store import CachedSQLTrackerStore
from tools.paths import ROOT

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, affirm]
slots:
  language:
    type: text
    mappings: [{type: custom}]
  postcode:
    type: text
    mappings: [{type: custom}]
"""
)


@contextmanager
def database() -> Iterator[dict[str, Any]]:
    """Store arguments as bot/endpoints.yml gives them: a new SQLite file, or TRACKER_CHECK_URL's database
    (its events table emptied first)."""
    url = os.environ.get("TRACKER_CHECK_URL")
    if url:
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS events")
        engine.dispose()
        yield {"host": url, "dialect": "postgresql", "db": ""}
        return
    with tempfile.TemporaryDirectory(prefix="tracker-check-") as folder:
        yield {"host": "", "dialect": "sqlite", "db": str(Path(folder) / "rasa-tracker.db")}


def turn(text: str, reply: str, **slots: str) -> list[Event]:
    return [
        UserUttered(text, {"name": "greet", "confidence": 1.0}, parse_data={"text": text}),
        *(SlotSet(name, value) for name, value in slots.items()),
        ActionExecuted("utter_reply"),
        BotUttered(reply, {"elements": None}),
        ActionExecuted("action_listen"),
    ]


def first_turn() -> list[Event]:
    return [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]


# The first turn's `action_session_start` comes before its session: stored, but not read back with it.
BEFORE_SESSION = 1


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def rows(store: SQLTrackerStore) -> list[tuple[Any, ...]]:
    table = store.SQLEvent.__table__
    columns = [table.c.sender_id, table.c.type_name, table.c.intent_name, table.c.action_name, table.c.data]
    with store.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(sa.select(*columns).order_by(table.c.id))]


def delete_conversation(store: SQLTrackerStore, sender_id: str) -> None:
    """What the api's purge does (api/conversation/tracker.py, api/retention/disposal.py), on its own
    connection."""
    engine = sa.create_engine(store.engine.url)
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM events WHERE sender_id = :s"), {"s": sender_id})
    engine.dispose()


def stock(arguments: dict[str, Any]) -> SQLTrackerStore:
    return SQLTrackerStore(domain=DOMAIN, **arguments)


def cached(arguments: dict[str, Any], **options: Any) -> CachedSQLTrackerStore:
    return CachedSQLTrackerStore(domain=DOMAIN, **arguments, **options)


async def play(store: TrackerStore, sender_id: str, turns: list[list[Event]]) -> DialogueStateTracker:
    """As Rasa's processor does: get or create, update, save; once per turn."""
    tracker = await store.get_or_create_tracker(sender_id, append_action_listen=False)
    for events in turns:
        tracker = await store.get_or_create_tracker(sender_id, append_action_listen=False)
        for event in events:
            tracker.update(event)
        await store.save(tracker)
    return tracker


def script() -> list[list[Event]]:
    return [
        first_turn() + turn("hello", "Are you safe?", language="en"),
        turn("yes", "What is your postcode?"),
        turn("ST4 1AA", "Thank you.", postcode="ST4 1AA"),
    ]


def test_writes_the_rows_rasa_writes_and_reads_back_the_same() -> None:
    with database() as arguments:
        events = script()
        mine = cached(arguments)
        run(play(mine, "c1", events))
        written = rows(mine)
        mine.engine.dispose()
    with database() as arguments:
        theirs = stock(arguments)
        run(play(theirs, "c1", events))
        assert rows(theirs) == written, "the cached store writes other rows than Rasa's"
        # Rasa's own store reads what the cached one wrote (same table, same file) as the cached one does.
        fresh = cached(arguments)
        read_by_rasa = run(theirs.retrieve("c1"))
        read_by_mine = run(fresh.retrieve("c1"))
        assert read_by_rasa is not None and read_by_mine is not None
        assert read_by_mine.current_state() == read_by_rasa.current_state()
        assert read_by_mine.get_slot("postcode") == "ST4 1AA"
        theirs.engine.dispose()
        fresh.engine.dispose()


def test_a_saved_tracker_is_served_from_memory_with_one_check() -> None:
    with database() as arguments:
        store = cached(arguments)
        saved = run(play(store, "c1", script()))
        misses = store.misses
        again = run(store.retrieve("c1"))
        assert again is saved
        assert store.hits >= 1 and store.misses == misses
        assert len(rows(store)) == BEFORE_SESSION + len(saved.events)
        store.engine.dispose()


def test_a_purge_by_the_api_is_never_undone_by_the_cache() -> None:
    with database() as arguments:
        store = cached(arguments)
        run(play(store, "c1", script()))
        run(play(store, "c2", script()))
        delete_conversation(store, "c1")
        assert run(store.retrieve("c1")) is None
        assert {r[0] for r in rows(store)} == {"c2"}
        # The conversation goes on as a new one: nothing of the purged events comes back.
        run(play(store, "c1", [first_turn() + turn("hi again", "Are you safe?")]))
        texts = [r[4] for r in rows(store) if r[0] == "c1"]
        assert not any("ST4 1AA" in t for t in texts), texts
        assert run(store.retrieve("c1")).get_slot("postcode") is None
        store.engine.dispose()


def test_a_turn_saved_by_another_process_is_read_not_the_stale_cache() -> None:
    with database() as arguments:
        first, second = cached(arguments), cached(arguments)
        run(play(first, "c1", script()[:2]))
        # The next turn lands on the other Rasa process (it holds the lock store's lock for it).
        run(play(second, "c1", script()[2:]))
        tracker = run(first.retrieve("c1"))
        assert tracker is not None and tracker.get_slot("postcode") == "ST4 1AA"
        # And the first process's next save appends after the second's rows, nothing twice.
        for event in turn("and then", "Noted."):
            tracker.update(event)
        run(first.save(tracker))
        assert len(rows(first)) == BEFORE_SESSION + len(tracker.events), "an event missing or stored twice"
        first.engine.dispose()
        second.engine.dispose()


def test_changes_never_saved_are_not_served() -> None:
    with database() as arguments:
        store = cached(arguments)
        saved = run(play(store, "c1", script()))
        stored = len(saved.events)
        for event in turn("lost", "never saved", postcode="XX1 1XX"):
            saved.update(event)  # a turn that failed before Rasa saved it
        again = run(store.retrieve("c1"))
        assert again is not saved
        assert len(again.events) == stored and again.get_slot("postcode") == "ST4 1AA"
        store.engine.dispose()


def test_a_new_session_is_read_alone() -> None:
    with database() as arguments:
        store = cached(arguments)
        tracker = run(play(store, "c1", script()))
        before = len(tracker.events)
        restart = [ActionExecuted("action_reset_conversation"), SessionStarted(), SlotSet("language", "en")]
        for event in restart:
            tracker.update(event)
        run(store.save(tracker))
        assert store.cached() == 0, "the tracker holding two sessions stays cached"
        fresh = run(store.retrieve("c1"))
        assert fresh is not None and len(fresh.events) == 2, [e.type_name for e in fresh.events]
        assert len(rows(store)) == BEFORE_SESSION + before + 3
        store.engine.dispose()


def test_the_cache_is_bounded_by_size_and_age() -> None:
    with database() as arguments:
        store = cached(arguments, cache_size=2, cache_seconds=3600)
        for sender in ("a", "b", "c"):
            run(play(store, sender, script()[:2]))  # the first turn starts a session: not kept (see above)
        assert store.cached() == 2
        store.cache_seconds = 0.0
        run(store.retrieve("c"))
        assert store.cached() <= 1
        store.engine.dispose()


def test_rasa_loads_the_store_named_in_endpoints_yml() -> None:
    with database() as arguments:
        os.environ.update(
            API_URL="http://127.0.0.1:9",
            BOT_SERVICE_TOKEN="synthetic-token",
            ACTION_SERVER_URL="http://127.0.0.1:9/webhook",
            RASA_TRACKER_DIALECT=arguments["dialect"],
            RASA_TRACKER_HOST=arguments["host"],
            RASA_TRACKER_DB=arguments["db"],
        )
        endpoints = read_endpoints_from_path(str(ROOT / "bot" / "endpoints.yml"))
        store = TrackerStore.create(endpoints.tracker_store, domain=DOMAIN)
        assert type(store) is CachedSQLTrackerStore
        sender = "c_" + uuid.uuid4().hex
        run(play(store, sender, script()))
        assert run(store.retrieve(sender)).get_slot("postcode") == "ST4 1AA"
        store.engine.dispose()


def test_events_moved_in_time_in_place_are_read_again() -> None:
    """The e2e tests' time travel (tests/e2e/test_journeys_en.py) rewrites event times in place."""
    with database() as arguments:
        store = cached(arguments)
        saved = run(play(store, "c1", script()))
        assert run(store.retrieve("c1")) is saved
        misses = store.misses
        engine = sa.create_engine(store.engine.url)
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE events SET timestamp = timestamp - 10800"))
        engine.dispose()
        tracker = run(store.retrieve("c1"))
        assert tracker is not None and tracker is not saved
        assert store.misses == misses + 1
        store.engine.dispose()
