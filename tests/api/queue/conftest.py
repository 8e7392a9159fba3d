"""The queue tests run on both databases the service supports: SQLite (embedded) and PostgreSQL (scaled
out, `FOR UPDATE SKIP LOCKED`). Each test gets a fresh migrated database of each kind."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pg import PostgresCluster


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database_url(request: pytest.FixtureRequest, database_url: str) -> Iterator[str]:
    """The parent fixture's SQLite copy, or a clone of the migrated PostgreSQL template."""
    if request.param == "sqlite":
        yield database_url
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    with cluster.database() as url:
        yield url
