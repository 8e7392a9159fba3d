"""A token check is a read (issue 15): the principal is looked up in a read-only transaction of its own, so on
SQLite it never takes or waits for the write lock another connection holds, and on PostgreSQL it never waits
for a row lock. It reads committed state: a revocation still being written does not count yet, and counts
from its commit on. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import update

from api.auth import current_caller, hash_token
from api.errors import Unauthenticated
from api.kit.models import utcnow
from api.principal.models import Principal, PrincipalKind
from tests.builders import bearer, create_principal
from tests.pg import BOTH_DIALECTS, sqlite_or_postgresql

# Without the read session this waits for the writer (SQLite's busy_timeout is 30 s): it cannot finish.
PATIENCE = 5.0


@pytest.fixture(params=BOTH_DIALECTS)
def database_url(request: pytest.FixtureRequest, database_url: str) -> Iterator[str]:
    yield from sqlite_or_postgresql(request, database_url)


def credentials(token: str) -> HTTPAuthorizationCredentials:
    return HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)


class TestTokenLookupUnderAWriter:
    async def test_a_lookup_answers_while_another_connection_writes_the_principal(self, app: FastAPI) -> None:
        token = await create_principal(app, "agency", "Synthetic busy team")
        async with app.state.sessionmaker() as writer, writer.begin():
            # The write lock (SQLite) and the principal's row lock (PostgreSQL) are held until the end.
            await writer.execute(
                update(Principal)
                .where(Principal.token_hash == hash_token(token))
                .values(name="Synthetic renamed")
            )
            caller = await asyncio.wait_for(
                current_caller(app.state.read_sessionmaker, app.state.settings, credentials(token)), PATIENCE
            )
            assert (caller.kind, caller.name) == (
                PrincipalKind.agency,
                "Synthetic busy team",
            )  # committed state

    async def test_a_revocation_counts_from_its_commit(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        token = await create_principal(app, "admin", "Synthetic admin")
        async with app.state.sessionmaker() as writer, writer.begin():
            await writer.execute(
                update(Principal).where(Principal.token_hash == hash_token(token)).values(revoked_at=utcnow())
            )
            # /metrics: an admin's read, served while the revocation is being written (not yet committed).
            during = await asyncio.wait_for(client.get("/metrics", headers=bearer(token)), PATIENCE)
            assert during.status_code == 200, during.text
        after = await client.get("/metrics", headers=bearer(token))
        assert after.status_code == 401

    async def test_an_expired_token_is_refused_by_the_read_lookup(self, app: FastAPI) -> None:
        token = await create_principal(
            app, "provider", "Synthetic lapsed provider", expires_at=utcnow() - timedelta(seconds=1)
        )
        with pytest.raises(Unauthenticated):
            await current_caller(app.state.read_sessionmaker, app.state.settings, credentials(token))
