"""SQLite under load (issues 15 and 16): reads that never write take no write lock, writers in one process
queue in order for it, and `synchronous` is FULL unless SQLITE_SYNCHRONOUS says NORMAL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from api.db import create_engine, create_read_sessionmaker, create_sessionmaker, writer_queue


async def test_a_read_session_reads_while_a_writer_holds_the_lock(database_url: str) -> None:
    engine = create_engine(database_url)
    writes, reads = create_sessionmaker(engine), create_read_sessionmaker(engine)
    try:
        async with writes() as writer, writer.begin():
            await writer.execute(text("UPDATE worker_heartbeat SET name = name"))  # the write lock is held
            async with reads() as reader, reader.begin():
                # With BEGIN IMMEDIATE this would wait for the writer (busy_timeout, 30 s): it cannot finish.
                count = await asyncio.wait_for(
                    reader.scalar(text("SELECT count(*) FROM sms_inbound")), timeout=5
                )
            assert count == 0
    finally:
        await engine.dispose()


@pytest.mark.parametrize(("setting", "level"), [("FULL", 2), ("NORMAL", 1)])
async def test_synchronous_follows_the_setting(tmp_path: Path, setting: str, level: int) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", sqlite_synchronous=setting)
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(text("PRAGMA synchronous")) == level
    finally:
        await engine.dispose()


async def test_full_is_the_default(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(text("PRAGMA synchronous")) == 2
    finally:
        await engine.dispose()


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError):
        create_engine("sqlite+aiosqlite:///:memory:", sqlite_synchronous="OFF")


class TestWriterQueue:
    """Writers in one process take the database in the order they asked for it, and always give it back."""

    async def test_waiting_writers_go_in_the_order_they_asked(self, database_url: str) -> None:
        engine = create_engine(database_url)
        writes = create_sessionmaker(engine)
        done: list[int] = []
        began = asyncio.Event()
        release = asyncio.Event()

        async def first() -> None:
            async with writes() as session, session.begin():
                await session.execute(text("UPDATE worker_heartbeat SET name = name"))
                began.set()
                await release.wait()

        async def writer(n: int) -> None:
            async with writes() as session, session.begin():
                await session.execute(text("UPDATE worker_heartbeat SET name = name"))
                done.append(n)

        try:
            holder = asyncio.create_task(first())
            await began.wait()
            waiting = []
            for n in range(6):
                waiting.append(asyncio.create_task(writer(n)))
                await asyncio.sleep(0.05)  # each has asked (and is waiting) before the next asks
            assert done == []
            release.set()
            await asyncio.wait_for(asyncio.gather(holder, *waiting), timeout=10)
            assert done == list(range(6))
            assert writer_queue(engine).holders == 0
        finally:
            await engine.dispose()

    async def test_a_failed_transaction_gives_the_database_back(self, database_url: str) -> None:
        engine = create_engine(database_url)
        writes = create_sessionmaker(engine)
        try:
            with pytest.raises(OperationalError):
                async with writes() as session, session.begin():
                    await session.execute(text("UPDATE worker_heartbeat SET name = name"))
                    await session.execute(text("UPDATE no_such_table SET x = 1"))
            assert writer_queue(engine).holders == 0
            async with writes() as session, session.begin():
                await asyncio.wait_for(
                    session.execute(text("UPDATE worker_heartbeat SET name = name")), timeout=5
                )
            async with engine.begin() as connection:  # the Core path too
                await connection.execute(text("UPDATE worker_heartbeat SET name = name"))
            assert writer_queue(engine).holders == 0
        finally:
            await engine.dispose()

    async def test_a_writer_that_waits_too_long_gets_a_clear_error(self, database_url: str) -> None:
        engine = create_engine(database_url)
        writer_queue(engine).wait_seconds = 0.2
        writes = create_sessionmaker(engine)
        try:
            async with writes() as holder, holder.begin():
                await holder.execute(text("UPDATE worker_heartbeat SET name = name"))
                with pytest.raises(OperationalError, match="BEGIN IMMEDIATE"):
                    async with writes() as late, late.begin():
                        await late.execute(text("UPDATE worker_heartbeat SET name = name"))
            assert writer_queue(engine).holders == 0
        finally:
            await engine.dispose()

    async def test_reads_take_no_turn(self, database_url: str) -> None:
        engine = create_engine(database_url)
        try:
            async with create_read_sessionmaker(engine)() as reader, reader.begin():
                await reader.scalar(text("SELECT count(*) FROM sms_inbound"))
                assert writer_queue(engine).holders == 0
        finally:
            await engine.dispose()
