"""Alembic environment: runs migrations over the api's async engine (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from api.config import get_settings
from api.db import create_engine
from api.models import Base

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _url() -> str:
    return str(config.attributes.get("database_url") or get_settings().database_url)


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _foreign_keys_off_while_migrating(engine: AsyncEngine) -> None:
    """SQLite alters a table by rebuilding it (batch mode): with foreign keys on, dropping the old copy of a
    table that other rows point at fails. They are off while migrating (set on connect: the pragma does
    nothing inside a transaction) and every reference is checked before the migration commits."""

    @event.listens_for(engine.sync_engine, "connect")
    def _off(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.close()


async def run_migrations_online() -> None:
    engine = create_engine(_url())
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        _foreign_keys_off_while_migrating(engine)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        if sqlite:
            broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).fetchall()
            if broken:
                await connection.rollback()
                raise RuntimeError(f"the migration would leave {len(broken)} broken references: rolled back")
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
