"""Concurrent duplicates with one Idempotency-Key: exactly one referral, every answer is the first answer
or a conflict, never a 500 — on SQLite and on PostgreSQL, through separate app instances (separate pools,
as separate api processes would have)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from api.config import Settings
from api.main import create_app
from api.referral.models import Referral
from tests.builders import referral_payload, shown_consent_versions
from tests.conftest import BOT_TOKEN

CLIENTS = 4
DUPLICATES = 12


@pytest.fixture
async def apps(settings: Settings, dialect_database_url: str) -> AsyncIterator[list[FastAPI]]:
    async with AsyncExitStack() as stack:
        instances = []
        for _ in range(CLIENTS):
            app = create_app(settings.model_copy(update={"database_url": dialect_database_url}))
            await stack.enter_async_context(app.router.lifespan_context(app))
            instances.append(app)
        yield instances


class TestConcurrentDuplicates:
    async def test_one_referral_and_no_server_errors(self, apps: list[FastAPI]) -> None:
        headers = {"Authorization": f"Bearer {BOT_TOKEN}", "Idempotency-Key": "race-key-000001"}
        clients = [
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
            for app in apps
        ]
        try:
            payload = referral_payload()
            payload["consent"]["wording_versions"] = await shown_consent_versions(clients[0], headers)
            replies = await asyncio.gather(
                *(
                    clients[i % CLIENTS].post("/v1/referrals", json=payload, headers=headers)
                    for i in range(DUPLICATES)
                )
            )
        finally:
            for client in clients:
                await client.aclose()
        statuses = sorted(r.status_code for r in replies)
        assert set(statuses) <= {201, 409}, [r.text for r in replies]
        created = [r for r in replies if r.status_code == 201]
        assert created
        assert len({r.content for r in created}) == 1
        conflicts = [r.json()["error"] for r in replies if r.status_code == 409]
        assert conflicts == ["idempotency_in_progress"] * len(conflicts)
        async with apps[0].state.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(Referral)) == 1
