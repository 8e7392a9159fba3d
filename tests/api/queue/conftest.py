"""The queue tests run on both databases the service supports: SQLite (embedded) and PostgreSQL (scaled
out, `FOR UPDATE SKIP LOCKED`). Each test gets a fresh migrated database of each kind."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pg import BOTH_DIALECTS, sqlite_or_postgresql


@pytest.fixture(params=BOTH_DIALECTS)
def database_url(request: pytest.FixtureRequest, database_url: str) -> Iterator[str]:
    yield from sqlite_or_postgresql(request, database_url)
