"""Idempotency races must hold on both databases: SQLite (embedded) and PostgreSQL (scaled out)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pg import PostgresCluster


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def dialect_database_url(request: pytest.FixtureRequest, database_url: str) -> Iterator[str]:
    if request.param == "sqlite":
        yield database_url
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    with cluster.database() as url:
        yield url
