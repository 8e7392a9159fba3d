"""Engine and session factories.

SQLite (the embedded default) runs in WAL mode with foreign keys on, and every writing transaction starts
with `BEGIN IMMEDIATE`, so two writers never interleave and a claim can never be given out twice. Reads
that never write (readiness, metrics, the worker's idle look for due work) use `create_read_sessionmaker`:
a deferred `BEGIN`, which in WAL mode takes no write lock, so they never queue behind a writer or hold one
up. A session from it must not write (SQLite would have to upgrade the lock and may refuse with BUSY).

`synchronous` is FULL by default (SQLITE_SYNCHRONOUS): a commit is on disk before the caller is answered,
so a stored inbound SMS that Twilio was told about, or a 201, survives a power cut; NORMAL is faster and
may lose the last commits (load/bench_sqlite_sync.py measures the difference). PostgreSQL (scaled out)
uses the driver's ordinary transactions; the queue claims there use `FOR UPDATE SKIP LOCKED`.

A request is one transaction: services and repositories flush, `session_dependency` commits on success
and rolls back on any error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import Request
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

READ_ONLY = "sqlite_read_only"  # an execution option: this connection's transactions begin deferred
SYNCHRONOUS = ("FULL", "NORMAL")


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

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


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
