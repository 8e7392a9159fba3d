"""Two caseworkers can never hold the same case: 20 concurrent claimers race over 500 queued cases.

The claimers go through the real HTTP claim endpoint of four app instances, each with its own engine and
connection pool (as four api processes would), against one database: a SQLite file (claims serialised by
`BEGIN IMMEDIATE`) and a PostgreSQL server (`FOR UPDATE SKIP LOCKED`). Only the seeding takes a short cut:
the 500 cases are written straight through the repositories in one transaction.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from api.audit import service as audit
from api.audit.models import AuditEvent
from api.auth import hash_token
from api.config import Settings
from api.main import create_app
from api.principal.models import Principal
from api.queue.models import QueueEntry
from api.triage.queue_order import PRIORITY_RANK
from tests.builders import add_queued_case, bearer, create_principal

CASES = 500
CLAIMERS = 20
APPS = 4
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Another instance of the api on the same database: its own engine, pool and lifespan."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def claim_until_empty(
    client: httpx.AsyncClient, token: str, start: asyncio.Event
) -> tuple[list[str], list[int]]:
    """Claim until the queue is empty. Returns the entry ids claimed, in order, and unexpected statuses."""
    await start.wait()
    got: list[str] = []
    while True:
        reply = await client.post("/v1/queues/hate_crime/claim", headers=bearer(token))
        if reply.status_code == 200:
            got.append(reply.json()["entry_id"])
        elif reply.status_code == 404 and reply.json()["error"] == "queue_empty":
            return got, []
        else:
            return got, [reply.status_code]


class TestClaimRace:
    async def test_twenty_claimers_over_five_hundred_cases_never_share_one(
        self, app: FastAPI, client: httpx.AsyncClient, settings: Settings
    ) -> None:
        rng = random.Random(500)
        order: dict[str, tuple[int, datetime, datetime]] = {}
        async with app.state.sessionmaker() as session, session.begin():
            for i in range(CASES):
                priority = rng.choices(list(PRIORITY_RANK), weights=[1, 3, 16])[0]
                deadline = START + timedelta(hours=rng.choice([4, 8, 24, 48, 72]))
                received = START + timedelta(minutes=i)
                entry = await add_queued_case(
                    session, app.state.vault, priority=priority, deadline=deadline, received_at=received
                )
                order[str(entry.id)] = (PRIORITY_RANK[priority], deadline, received)
        position = {entry_id: n for n, entry_id in enumerate(sorted(order, key=order.__getitem__))}
        tokens = [
            await create_principal(app, "provider", f"Synthetic caseworker {i:02d}", ["hate_crime"])
            for i in range(CLAIMERS)
        ]

        start = asyncio.Event()
        async with AsyncExitStack() as stack:
            clients = [client] + [await stack.enter_async_context(serving(settings)) for _ in range(APPS - 1)]
            tasks = [
                asyncio.create_task(claim_until_empty(clients[i % APPS], token, start))
                for i, token in enumerate(tokens)
            ]
            start.set()
            results = await asyncio.gather(*tasks)

        assert [errors for _, errors in results] == [[]] * CLAIMERS
        claims = list(itertools.chain.from_iterable(got for got, _ in results))
        assert [entry for entry, n in Counter(claims).items() if n > 1] == []  # zero double claims
        assert len(claims) == CASES
        assert set(claims) == set(order)  # every case claimed exactly once
        assert sum(1 for got, _ in results if got) > CLAIMERS // 2  # they really did compete

        # Each claimer took its cases in queue order: under contention nobody jumps the queue.
        for got, _ in results:
            assert [position[e] for e in got] == sorted(position[e] for e in got)

        # The database agrees with what the claimers were told, and the audit chain held under the race.
        holder = {
            entry_id: await self.principal_id(app, token)
            for token, (got, _) in zip(tokens, results, strict=True)
            for entry_id in got
        }
        async with app.state.sessionmaker() as session:
            rows = (
                await session.execute(select(QueueEntry.id, QueueEntry.status, QueueEntry.claimed_by))
            ).all()
            assert {str(i): (s, c) for i, s, c in rows} == {e: ("claimed", holder[e]) for e in order}
            claim_events = await session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "queue.claim")
            )
            assert claim_events == CASES
            assert (await audit.verify(session)).ok

    @staticmethod
    async def principal_id(app: FastAPI, token: str) -> uuid.UUID:
        async with app.state.sessionmaker() as session:
            found = await session.scalar(
                select(Principal.id).where(Principal.token_hash == hash_token(token))
            )
        assert found is not None
        return found
