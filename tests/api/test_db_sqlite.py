"""SQLite under load (issue 15): reads that never write take no write lock, and `synchronous` is FULL unless
SQLITE_SYNCHRONOUS says NORMAL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from api.db import create_engine, create_read_sessionmaker, create_sessionmaker


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
