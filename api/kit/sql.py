"""Dialect-aware SQL helpers shared by repositories."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

S = TypeVar("S", bound=Select[Any])


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


def lock_rows(session: AsyncSession, stmt: S, *, skip_locked: bool = False) -> S:
    """Lock the rows `stmt` selects until the transaction ends: the one place that chooses by dialect.

    PostgreSQL: `FOR UPDATE`, with `SKIP LOCKED` for claimers that should take the next free row rather
    than wait. SQLite: nothing to add, because every transaction already starts with `BEGIN IMMEDIATE`
    (api/db.py) and so holds the database's single write lock from its first statement.
    """
    if session.get_bind().dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=skip_locked)
    return stmt
