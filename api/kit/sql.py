"""Dialect-aware SQL helpers shared by repositories."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_ignoring_duplicates(session: AsyncSession, model: type[Any], values: dict[str, Any]) -> None:
    """INSERT … ON CONFLICT DO NOTHING, on SQLite and PostgreSQL alike."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    await session.execute(module.insert(model).values(**values).on_conflict_do_nothing())


async def upsert(session: AsyncSession, model: type[Any], values: dict[str, Any], keys: list[str]) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE, on SQLite and PostgreSQL alike."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(model).values(**values)
    updates = {k: v for k, v in values.items() if k not in keys}
    await session.execute(stmt.on_conflict_do_update(index_elements=keys, set_=updates))
