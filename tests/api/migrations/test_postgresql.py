"""The migrations on PostgreSQL: they apply, they match the models, they go down and up again, and the
append-only tables refuse changes in the database itself. (`make migrations` checks the same on SQLite.)"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import pytest
from alembic import command
from alembic.config import Config

from api.config import REPO_ROOT
from tests.pg import PostgresCluster

pytestmark = pytest.mark.postgresql


@pytest.fixture
def database(postgres_cluster: PostgresCluster) -> Iterator[str]:
    with postgres_cluster.database() as url:
        yield url


def alembic(database_url: str) -> Config:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    return config


def sql(database_url: str, *statements: str) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


# One synthetic row per append-only table, and a change of it.
APPEND_ONLY = {
    "audit_event": (
        "INSERT INTO audit_event (at, principal_id, principal_kind, action, reason, prev_hash, hash) "
        "VALUES (now(), gen_random_uuid(), 'admin', 'test', 'synthetic', repeat('0', 64), repeat('1', 64))",
        "UPDATE audit_event SET reason = 'rewritten'",
    ),
    "consent_receipt": (
        "INSERT INTO consent_receipt (id, created_at, kind, lawful_basis, purposes, wording_versions, "
        "language, channel, given_by, given_at) VALUES (gen_random_uuid(), now(), 'grant', 'consent', '[]', "
        "'[]', 'en', 'web_chat', 'person', now())",
        "UPDATE consent_receipt SET kind = 'withdrawal'",
    ),
}


class TestMigrationsOnPostgresql:
    def test_the_models_and_the_migrations_agree(self, database: str) -> None:
        command.check(alembic(database))  # raises when an autogenerate would find a difference

    def test_down_to_nothing_and_up_again(self, database: str) -> None:
        command.downgrade(alembic(database), "base")
        command.upgrade(alembic(database), "head")
        command.check(alembic(database))

    @pytest.mark.parametrize("table", list(APPEND_ONLY))
    @pytest.mark.parametrize("verb", ["UPDATE", "DELETE"])
    def test_append_only_tables_refuse_changes(self, database: str, table: str, verb: str) -> None:
        insert, update = APPEND_ONLY[table]
        sql(database, insert)
        with pytest.raises(asyncpg.RaiseError, match=f"{table} is append-only"):
            sql(database, update if verb == "UPDATE" else f"DELETE FROM {table}")  # noqa: S608 (fixed names)
