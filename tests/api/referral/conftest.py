"""Idempotency races must hold on both databases: SQLite (embedded) and PostgreSQL (scaled out)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pg import BOTH_DIALECTS, sqlite_or_postgresql


@pytest.fixture(params=BOTH_DIALECTS)
def dialect_database_url(request: pytest.FixtureRequest, database_url: str) -> Iterator[str]:
    yield from sqlite_or_postgresql(request, database_url)
