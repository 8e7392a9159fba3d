"""The bot's tracker store: Rasa's SQL tracker store with the active conversations kept in memory (issue 16).

Rasa 3.6's `SQLTrackerStore`, on every turn, reads every event since the session started and rebuilds the
tracker by replaying them, then on save counts them again to find the new ones; each operation opens a new
connection (SQLite: SQLAlchemy 1.4's NullPool), and all of it runs on Rasa's event loop, so every
conversation waits for every other's database work. Here, with the same table and the same rows:

- **A cache of active trackers.** The tracker Rasa saved stays in memory (least recently used first out, at
  most `cache_size` conversations, each at most `cache_seconds` after its last use; a sweep drops expired
  ones even when nothing else happens), and the next turn gets that object back without reading its events.
- **Checked against the store before each use.** The conversation's row count, highest row id and sum of
  event times, one query over the conversation's rows (by the sender id index), none of their JSON read.
  Anything else that changed the rows (retention's purge or the api ending a conversation, which delete
  them; a second Rasa process that handled a turn, holding the lock store's lock; a test harness rewinding
  or moving events in time) changes that mark, and the tracker is read from the table again as Rasa's own
  store reads it. A tracker changed in memory but never saved (a turn that failed half-way) is read again too.
- **Append-only saves.** Only the events added since the tracker was read or last saved are inserted; when
  the store changed meanwhile, the new events are found as Rasa finds them (by counting).
- **A new session starts small.** A save that holds a `session_started` event after the first ("start
  again", bot/actions/session.py) drops the cached tracker, so the next turn reads only the new session.
- **Pooled connections, off the event loop.** One engine with a small pool (SQLite: WAL, so the api's
  reads and purges do not block the bot, and a busy timeout) and every query in a small thread pool.

Configured in `bot/endpoints.yml` (`type: bot.server.tracker_store.CachedSQLTrackerStore`) with the same
`dialect`/`url`/`db` as Rasa's SQL store (from RASA_TRACKER_*), so PostgreSQL works as before.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa  # type: ignore[import-untyped]  # 1.4, as Rasa 3.6 pins it: no types
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.engine import Connection, Engine  # type: ignore[import-untyped]

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_CACHE_SIZE = 500
DEFAULT_CACHE_SECONDS = 600.0
DEFAULT_THREADS = 4
SWEEP_SECONDS = 30.0

Mark = tuple[int, int, float]
"""A conversation's rows in the store: how many, the highest id (0 when none), and the sum of their times
(an event whose time was changed in place, as the tests' time travel does, changes it)."""


@dataclass
class Entry:
    tracker: DialogueStateTracker
    mark: Mark
    saved: int  # len(tracker.events) when it was read or saved: more means changed and not saved
    used: float


class CachedSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store with a validated in-memory cache, append-only saves and pooled connections."""

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        cache_size: int = DEFAULT_CACHE_SIZE,
        cache_seconds: float = DEFAULT_CACHE_SECONDS,
        threads: int = DEFAULT_THREADS,
        **kwargs: Any,
    ) -> None:
        # Rasa's own start-up: the URL from dialect/host/db, waiting for the database, creating the table.
        super().__init__(domain=domain, host=host, event_broker=event_broker, **kwargs)
        self.cache_size = max(0, int(cache_size))
        self.cache_seconds = float(cache_seconds)
        self._threads = max(1, int(threads))
        stock: Engine = self.engine  # type: ignore[has-type]  # set by Rasa's __init__
        self.engine = pooled_engine(stock.url, self._threads)
        stock.dispose()
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self._table: sa.Table = self.SQLEvent.__table__
        # A conversation's mark (and the insert) as statements built once: SQLAlchemy works out a new
        # statement's cache key on every execution (~0.27 ms for the mark, run three times a turn), a built
        # one's once (issue 16).
        table = self._table
        self._mark_statement = sa.select(
            sa.func.count(table.c.id), sa.func.max(table.c.id), sa.func.sum(table.c.timestamp)
        ).where(table.c.sender_id == sa.bindparam("sender_id"))
        self._insert = table.insert()
        self._executor = ThreadPoolExecutor(max_workers=self._threads, thread_name_prefix="tracker-store")
        self._cache: OrderedDict[str, Entry] = OrderedDict()
        self._sweeper: asyncio.TimerHandle | None = None
        self.hits = 0
        self.misses = 0

    # ---- Rasa's interface ----

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        self._sweep()
        entry = self._cache.get(sender_id)
        if entry is not None:
            mark = await self._run(self._mark, sender_id)
            if entry.mark == mark and len(entry.tracker.events) == entry.saved:
                self.hits += 1
                entry.used = time.monotonic()
                self._cache.move_to_end(sender_id)
                return entry.tracker
            del self._cache[sender_id]
        self.misses += 1
        tracker, mark = await self._run(self._load, sender_id)
        if tracker is not None:
            self._remember(sender_id, tracker, mark)
        return tracker

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        """Every session's events (Rasa's HTTP API asks for these; never cached)."""
        tracker, _ = await self._run(self._load, conversation_id, True)
        return tracker

    async def keys(self) -> Iterable[str]:
        return await self._run(self._keys)

    async def save(self, tracker: DialogueStateTracker) -> None:
        sender_id = tracker.sender_id
        events = list(tracker.events)  # the processor awaits this save: nothing changes it meanwhile
        entry = self._cache.get(sender_id)
        known = (entry.saved, entry.mark) if entry is not None and entry.tracker is tracker else None
        new_events, mark = await self._run(self._append, sender_id, events, known)
        if self.event_broker is not None:
            # Rasa's stream_events would diff against retrieve(), which answers this very tracker.
            await self._stream_new_events(self.event_broker, new_events, sender_id)
        first_new = len(events) - len(new_events)
        if any(isinstance(e, SessionStarted) and first_new + i > 0 for i, e in enumerate(new_events)):
            # A session started after the tracker's first event: the next turn reads only the new one.
            self._cache.pop(sender_id, None)
        else:
            self._remember(sender_id, tracker, mark)

    def forget(self, sender_id: str) -> None:
        """Drop a conversation's cached tracker (the next retrieve reads the store)."""
        self._cache.pop(sender_id, None)

    # ---- the cache ----

    def _remember(self, sender_id: str, tracker: DialogueStateTracker, mark: Mark) -> None:
        if self.cache_size == 0:
            return
        self._cache[sender_id] = Entry(tracker, mark, len(tracker.events), time.monotonic())
        self._cache.move_to_end(sender_id)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        self._schedule_sweep()

    def _sweep(self) -> None:
        """Drop trackers unused for cache_seconds (the least recently used are first)."""
        limit = time.monotonic() - self.cache_seconds
        while self._cache:
            sender_id, entry = next(iter(self._cache.items()))
            if entry.used > limit:
                break
            del self._cache[sender_id]

    def _schedule_sweep(self) -> None:
        if self._sweeper is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return

        def sweep() -> None:
            self._sweeper = None
            self._sweep()
            if self._cache:
                self._schedule_sweep()

        self._sweeper = loop.call_later(min(SWEEP_SECONDS, max(1.0, self.cache_seconds)), sweep)

    def cached(self) -> int:
        return len(self._cache)

    # ---- the database (in the thread pool) ----

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def _mark_on(self, connection: Connection, sender_id: str) -> Mark:
        count, highest, times = connection.execute(self._mark_statement, {"sender_id": sender_id}).one()
        return int(count or 0), int(highest or 0), float(times or 0.0)

    def _mark(self, sender_id: str) -> Mark:
        with self.engine.connect() as connection:
            return self._mark_on(connection, sender_id)

    def _load(self, sender_id: str, all_sessions: bool = False) -> tuple[DialogueStateTracker | None, Mark]:
        with self.sessionmaker() as session:
            # The mark first: a row added or removed after it makes the next check read again.
            mark = self._mark_on(session.connection(), sender_id)
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=all_sessions).all()
            events = [json.loads(row.data) for row in rows]
        if not events:
            return None, mark
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots), mark

    def _keys(self) -> list[str]:
        with self.engine.connect() as connection:
            return [row[0] for row in connection.execute(sa.select(self._table.c.sender_id).distinct())]

    def _append(
        self, sender_id: str, events: list[Event], known: tuple[int, Mark] | None
    ) -> tuple[list[Event], Mark]:
        """Insert the events the store does not have; the new events and the conversation's new mark."""
        with self.sessionmaker() as session:
            connection = session.connection()
            if known is not None and self._mark_on(connection, sender_id) == known[1]:
                start = known[0]
            else:  # not read through this cache, or the store changed: count as Rasa's store does
                start = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).count()
            new_events = list(itertools.islice(events, start, None))
            if new_events:
                connection.execute(self._insert, [row(sender_id, e) for e in new_events])
            mark = self._mark_on(connection, sender_id)
            session.commit()
        return new_events, mark


def row(sender_id: str, event: Event) -> dict[str, Any]:
    """The table row Rasa's SQL store writes for an event."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


def pooled_engine(url: sa.engine.URL, threads: int) -> Engine:
    """An engine whose connections are kept: Rasa's PostgreSQL settings; SQLite pooled, WAL, busy timeout."""
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url, **create_engine_kwargs(url))  # QueuePool, Rasa's POSTGRESQL_POOL_SIZE
    engine = sa.create_engine(
        url,
        poolclass=sa.pool.QueuePool,
        pool_size=threads,
        max_overflow=0,
        connect_args={"check_same_thread": False, "timeout": 30},
    )

    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Deleted rows are zeroed, as the api's purge does (api/retention/disposal.py).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    sa.event.listen(engine, "connect", _pragmas)
    return engine
