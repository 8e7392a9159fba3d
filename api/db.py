"""Engine and session factories.

SQLite (the embedded default) runs in WAL mode with foreign keys on, and every writing transaction starts
with `BEGIN IMMEDIATE`, so two writers never interleave and a claim can never be given out twice. Reads
that never write (readiness, metrics, the worker's idle look for due work) use `create_read_sessionmaker`:
a deferred `BEGIN`, which in WAL mode takes no write lock, so they never queue behind a writer or hold one
up. A session from it must not write (SQLite would have to upgrade the lock and may refuse with BUSY).

Within one process, writing transactions also queue for an asyncio lock taken just before `BEGIN IMMEDIATE`
and given back when the connection returns to the pool (`WriterQueue`): they take the database in the order
they asked for it. Left to SQLite, a writer that finds the lock taken sleeps in its busy handler for longer
and longer (up to 100 ms a try) and may lose to later writers again and again, so under concurrent writes a
few waited seconds (load/run_sms_inbound.py measures webhook acknowledgements, p99). Other processes (the
worker, the command line) still meet the busy handler, at most one writer from each.

`synchronous` is FULL by default (SQLITE_SYNCHRONOUS): a commit is on disk before the caller is answered,
so a stored inbound SMS that Twilio was told about, or a 201, survives a power cut; NORMAL is faster and
may lose the last commits (load/bench_sqlite_sync.py measures the difference). PostgreSQL (scaled out)
uses the driver's ordinary transactions; the queue claims there use `FOR UPDATE SKIP LOCKED`.

A request is one transaction: services and repositories flush, `session_dependency` commits on success
and rolls back on any error.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import Request
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

READ_ONLY = "sqlite_read_only"  # an execution option: this connection's transactions begin deferred
SYNCHRONOUS = ("FULL", "NORMAL")
_WRITERS: weakref.WeakKeyDictionary[Engine, WriterQueue] = weakref.WeakKeyDictionary()
WRITE_WAIT_SECONDS = 30.0  # as SQLite's busy_timeout below: then the writer fails with "database is locked"


class WriterQueue:
    """One writing transaction at a time per engine and event loop, first come first served.

    `enter` runs in the engine's "begin" event (synchronous code that SQLAlchemy's asyncio layer runs
    on the event loop) and waits for the loop's lock through the driver connection's `run_async`; the
    connection holds it until the pool takes the connection back (reset, invalidation or close), so a
    transaction's COMMIT or ROLLBACK is over before the next writer begins. A connection that begins
    again before going back keeps the lock it has. Without a running loop (synchronous use) it does
    nothing and SQLite's busy handler decides as before."""

    def __init__(self, wait_seconds: float = WRITE_WAIT_SECONDS) -> None:
        self.wait_seconds = wait_seconds
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
        self._held: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Lock]] = {}
        self._guard = threading.Lock()

    def enter(self, dbapi_connection: Any) -> None:
        key = id(dbapi_connection)
        if key in self._held:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        with self._guard:
            for stale in [other for other in self._locks if other.is_closed()]:
                del self._locks[stale]
            lock = self._locks.setdefault(loop, asyncio.Lock())
        try:
            dbapi_connection.run_async(lambda _driver: asyncio.wait_for(lock.acquire(), self.wait_seconds))
        except TimeoutError as exc:
            raise OperationalError("BEGIN IMMEDIATE", None, exc) from exc
        self._held[key] = (loop, lock)

    def leave(self, dbapi_connection: Any) -> None:
        held = self._held.pop(id(dbapi_connection), None)
        if held is None:
            return
        loop, lock = held
        try:
            on_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            lock.release()
        elif not loop.is_closed():
            loop.call_soon_threadsafe(lock.release)  # e.g. a connection collected by another thread

    @property
    def holders(self) -> int:
        return len(self._held)


def _configure_sqlite(engine: AsyncEngine, synchronous: str) -> None:
    if synchronous not in SYNCHRONOUS:
        raise ValueError(f"SQLite synchronous must be one of {SYNCHRONOUS}")

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take transaction control away from the driver so that BEGIN IMMEDIATE below is the only BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        # Deleted and overwritten rows are zeroed, not left in free space (retention: api/retention).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    writers = _WRITERS[engine.sync_engine] = WriterQueue()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
            return
        writers.enter(conn.connection.dbapi_connection)
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    for name in ("reset", "invalidate", "close", "close_detached"):
        event.listen(engine.sync_engine.pool, name, _leave(writers))


def writer_queue(engine: AsyncEngine) -> WriterQueue | None:
    """The engine's queue of writing transactions (SQLite only)."""
    return _WRITERS.get(engine.sync_engine)


def _leave(writers: WriterQueue) -> Any:
    def on_pool_event(dbapi_connection: Any, *_args: Any) -> None:
        writers.leave(dbapi_connection)

    return on_pool_event


def create_engine(database_url: str, *, sqlite_synchronous: str = "FULL", **kwargs: Any) -> AsyncEngine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        _configure_sqlite(engine, sqlite_synchronous)
        return engine
    return create_async_engine(url, pool_pre_ping=True, **kwargs)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def create_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for reads that never write: on SQLite their transactions begin deferred (no write lock);
    on PostgreSQL they are ordinary transactions."""
    return async_sessionmaker(
        engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False, autoflush=False
    )


async def session_dependency(request: Request) -> AsyncIterator[AsyncSession]:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
