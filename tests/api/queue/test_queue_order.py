"""Queue order (TRIAGE.md): priority, then contact deadline, then time received; the same for the list and
for claims, on SQLite and on PostgreSQL."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from api.kit.models import utcnow
from api.queue.models import QueueEntry
from api.triage.queue_order import PRIORITY_RANK
from tests.builders import add_queued_case, bearer, create_principal

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def hours(n: float) -> datetime:
    return MONDAY + timedelta(hours=n)


async def seed(app: FastAPI, cases: dict[str, tuple[str, datetime | None, datetime]]) -> dict[str, str]:
    """name -> (priority, deadline, received_at); returns entry id -> name. A None deadline is NULL."""
    names = {}
    async with app.state.sessionmaker() as session, session.begin():
        for name, (priority, deadline, received_at) in cases.items():
            entry = await add_queued_case(
                session, app.state.vault, priority=priority, deadline=deadline, received_at=received_at
            )
            if deadline is None:
                await session.execute(
                    update(QueueEntry).where(QueueEntry.id == entry.id).values(deadline=None)
                )
            names[str(entry.id)] = name
    return names


async def listed(client: httpx.AsyncClient, token: str, names: dict[str, str]) -> list[str]:
    reply = await client.get("/v1/queues/hate_crime/cases", params={"limit": 200}, headers=bearer(token))
    assert reply.status_code == 200
    return [names[item["entry_id"]] for item in reply.json()["items"]]


async def claimed(client: httpx.AsyncClient, token: str, names: dict[str, str]) -> list[str]:
    order = []
    while (
        reply := await client.post("/v1/queues/hate_crime/claim", headers=bearer(token))
    ).status_code == 200:
        order.append(names[reply.json()["entry_id"]])
    assert reply.json()["error"] == "queue_empty"
    return order


class TestQueueOrder:
    async def test_priority_then_deadline_then_time_received(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        names = await seed(
            app,
            {
                # received first, earliest deadline, but normal priority
                "normal_early": ("normal", hours(10), hours(0)),
                # high priority beats any normal case
                "high_late_deadline": ("high", hours(50), hours(3)),
                # emergency beats everything, though received last with the latest deadline
                "emergency": ("emergency", hours(90), hours(5)),
                # same priority as normal_early: the earlier deadline wins over arrival
                "normal_earlier_deadline": ("normal", hours(8), hours(4)),
                # same priority and deadline as normal_early: the earlier arrival wins
                "normal_same_deadline_later": ("normal", hours(10), hours(1)),
                # no deadline at all: after every case of its priority that has one, on both databases
                "normal_no_deadline": ("normal", None, hours(-10)),
            },
        )
        token = await create_principal(app, "provider", "Synthetic caseworker", ["hate_crime"])
        expected = [
            "emergency",
            "high_late_deadline",
            "normal_earlier_deadline",
            "normal_early",
            "normal_same_deadline_later",
            "normal_no_deadline",
        ]
        assert await listed(client, token, names) == expected
        assert await claimed(client, token, names) == expected

    async def test_claims_come_out_in_list_order_for_a_mixed_queue(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        rng = random.Random(20261123)
        cases = {
            f"case{i:02d}": (
                rng.choice(list(PRIORITY_RANK)),
                hours(rng.choice([4, 8, 24, 48])),  # few distinct deadlines: many ties to break
                hours(rng.randrange(0, 6)) + timedelta(minutes=i),
            )
            for i in range(40)
        }
        names = await seed(app, cases)
        token = await create_principal(app, "provider", "Synthetic caseworker", ["hate_crime"])
        expected = sorted(cases, key=lambda n: (PRIORITY_RANK[cases[n][0]], cases[n][1], cases[n][2]))
        assert await listed(client, token, names) == expected
        assert await claimed(client, token, names) == expected

    async def test_a_lapsed_lease_takes_its_place_in_the_order(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        names = await seed(
            app,
            {
                "high_queued": ("high", hours(10), hours(1)),
                "emergency_lapsed": ("emergency", hours(10), hours(2)),
                "normal_lapsed": ("normal", hours(5), hours(0)),
                "normal_queued": ("normal", hours(10), hours(0)),
            },
        )
        token = await create_principal(app, "provider", "Synthetic caseworker", ["hate_crime"])
        gone = [entry_id for entry_id, name in names.items() if name.endswith("_lapsed")]
        async with app.state.sessionmaker() as session, session.begin():
            await session.execute(
                update(QueueEntry)
                .where(QueueEntry.id.in_([uuid.UUID(e) for e in gone]))
                .values(status="claimed", lease_expires_at=utcnow() - timedelta(minutes=1))
            )
        assert await claimed(client, token, names) == [
            "emergency_lapsed",
            "high_queued",
            "normal_lapsed",
            "normal_queued",
        ]

    async def test_other_queues_do_not_mix_in(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        async with app.state.sessionmaker() as session, session.begin():
            await add_queued_case(session, app.state.vault, queue="asb_mediation", priority="emergency")
            mine = await add_queued_case(session, app.state.vault)
        token = await create_principal(app, "provider", "Synthetic caseworker", ["hate_crime"])
        assert await claimed(client, token, {str(mine.id): "mine"}) == ["mine"]
