"""Benchmark (not a test): provider queue claims per second, on SQLite and, when its binaries are installed,
on a throwaway PostgreSQL server (started and removed by tests/pg.py, as in the tests).

Run from the repository root:

    .venvs/api/bin/python load/bench_queue.py [--depth 2000] [--claims 400] [--rounds 3] [--claimers 20]

For each database, in the same run, in one process, against a queue of `--depth` cases (reset before every
round, so every round claims from a full queue):

- baseline, db: one transaction per operation that reads, by primary key, the row a claim would take;
  the cheapest useful transaction through the same engine and session set-up (on SQLite it is a
  `BEGIN IMMEDIATE` transaction too);
- claim, service: `api.queue.service.claim` in its own transaction, one after another: pick the next case
  in queue order (`FOR UPDATE SKIP LOCKED` on PostgreSQL), lease it, append the audit event, open the case;
- baseline, HTTP: a bare FastAPI app whose one endpoint runs the db baseline, through the same ASGI client;
- claim, HTTP: `POST /v1/queues/hate_crime/claim` through the real app (token check, routing, JSON), with
  one claimer and with `--claimers` concurrent claimers, each its own caseworker.

Before each round the database is tidied as its own housekeeping (autovacuum) would leave it: planner
statistics fresh, no dead row versions from the reset.

Each figure is the best of `--rounds` rounds; the ratios against the baselines are what to compare between
machines and runs, because a shared machine's absolute numbers drift. Everything is synthetic.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchkit import served, settings_for
from fastapi import FastAPI
from sqlalchemy import select, text, update

from api.auth import Caller, hash_token
from api.main import create_app
from api.principal.models import Principal, PrincipalKind
from api.queue import repository, service
from api.queue.models import EntryStatus, QueueEntry
from api.triage.schemas import Queue
from tests.builders import add_queued_case, bearer, create_principal
from tests.pg import ClusterUnavailable, migrate, new_cluster, running_cluster

QUEUE = Queue.HATE_CRIME
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
Timed = Callable[[], Awaitable[int]]


def bare_app(app: FastAPI) -> FastAPI:
    """The baseline app: no auth, no middleware, one endpoint doing the db baseline on the same engine."""
    bare = FastAPI()

    @bare.post("/bare/{entry_id}")
    async def read_row(entry_id: uuid.UUID) -> dict[str, str]:
        async with app.state.sessionmaker() as session, session.begin():
            entry = await session.scalar(select(QueueEntry).where(QueueEntry.id == entry_id))
        assert entry is not None
        return {"status": entry.status}

    return bare


async def tidy(app: FastAPI) -> None:
    """What the database's own housekeeping does in a live system, done now: fresh planner statistics
    (without them PostgreSQL guesses one queued row and sorts the whole queue), and on PostgreSQL no dead
    row versions left by the seeding or by the previous round's reset."""
    engine = app.state.engine
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM ANALYZE queue_entry"))
            await autocommit.execute(text("VACUUM ANALYZE audit_event"))
    else:
        async with engine.begin() as connection:
            await connection.execute(text("ANALYZE"))


async def best_rate(work: Timed, reset: Callable[[], Awaitable[None]], rounds: int) -> float:
    """Operations per second of the fastest round (the least disturbed by other load)."""
    await reset()
    await work()  # warm up: pools, statement caches, lazy imports
    best = 0.0
    for _ in range(rounds):
        await reset()
        started = time.perf_counter()
        done = await work()
        best = max(best, done / (time.perf_counter() - started))
    return best


async def bench(database_url: str, args: argparse.Namespace) -> dict[str, float]:
    settings = settings_for(database_url)
    app = create_app(settings)
    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(served(app))
        sessionmaker = app.state.sessionmaker
        async with sessionmaker() as session, session.begin():
            for i in range(args.depth):
                await add_queued_case(
                    session,
                    app.state.vault,
                    priority=("emergency", "high", "normal", "normal", "normal")[i % 5],
                    deadline=START + timedelta(hours=4 * (i % 7)),
                    received_at=START + timedelta(minutes=i),
                )
        await tidy(app)
        tokens = [
            await create_principal(app, "provider", f"Synthetic caseworker {i:02d}", [QUEUE])
            for i in range(args.claimers)
        ]
        async with sessionmaker() as session:
            first_id = await session.scalar(
                select(Principal.id).where(Principal.token_hash == hash_token(tokens[0]))
            )
            in_order = list(
                await session.scalars(
                    select(QueueEntry.id).where(QueueEntry.queue == QUEUE).order_by(*repository.QUEUE_ORDER)
                )
            )
        assert first_id is not None
        caller = Caller(first_id, PrincipalKind.provider, "Synthetic caseworker 00", frozenset({QUEUE}))
        claims = min(args.claims, args.depth)
        bare = await stack.enter_async_context(served(bare_app(app)))

        async def reset() -> None:
            async with sessionmaker() as session, session.begin():
                await session.execute(
                    update(QueueEntry).values(
                        status=EntryStatus.queued, claimed_by=None, lease_expires_at=None
                    )
                )
            await tidy(app)

        async def nothing() -> None:
            return None

        async def baseline_db() -> int:
            for entry_id in in_order[:claims]:
                async with sessionmaker() as session, session.begin():
                    await session.scalar(select(QueueEntry).where(QueueEntry.id == entry_id))
            return claims

        async def claim_service() -> int:
            for _ in range(claims):
                async with sessionmaker() as session, session.begin():
                    await service.claim(session, app.state.vault, caller, QUEUE, settings.queue_lease_seconds)
            return claims

        async def concurrently(worker: Callable[[int], Awaitable[None]], workers: int) -> int:
            await asyncio.gather(*(worker(w) for w in range(workers)))
            return claims

        def baseline_http(workers: int) -> Timed:
            async def worker(w: int) -> None:
                for entry_id in in_order[w:claims:workers]:
                    reply = await bare.post(f"/bare/{entry_id}")
                    assert reply.status_code == 200

            return lambda: concurrently(worker, workers)

        def claim_http(workers: int) -> Timed:
            async def worker(w: int) -> None:
                for _ in range(w, claims, workers):
                    reply = await client.post(f"/v1/queues/{QUEUE}/claim", headers=bearer(tokens[w]))
                    assert reply.status_code == 200, reply.text

            return lambda: concurrently(worker, workers)

        results = {
            "baseline_db": await best_rate(baseline_db, nothing, args.rounds),
            "claim_service": await best_rate(claim_service, reset, args.rounds),
            "baseline_http_1": await best_rate(baseline_http(1), nothing, args.rounds),
            "claim_http_1": await best_rate(claim_http(1), reset, args.rounds),
            "baseline_http_n": await best_rate(baseline_http(args.claimers), nothing, args.rounds),
            "claim_http_n": await best_rate(claim_http(args.claimers), reset, args.rounds),
        }
        # Sanity: after the last round every claimed case has exactly one holder.
        async with sessionmaker() as session:
            claimed = (
                await session.scalars(select(QueueEntry.id).where(QueueEntry.status == "claimed"))
            ).all()
        assert len(claimed) == len(set(claimed)) == claims
        return results


def report(columns: dict[str, dict[str, float] | str], args: argparse.Namespace) -> None:
    rows: list[tuple[str, Callable[[dict[str, float]], str]]] = []

    def rate(key: str) -> Callable[[dict[str, float]], str]:
        return lambda r: f"{r[key]:,.0f} /s"

    def ratio(top: str, bottom: str) -> Callable[[dict[str, float]], str]:
        return lambda r: f"{r[top] / r[bottom]:.2f}"

    n = args.claimers
    rows = [
        ("baseline  db: transaction + SELECT by id", rate("baseline_db")),
        ("claim     service, 1 claimer", rate("claim_service")),
        ("ratio     claim service / baseline db", ratio("claim_service", "baseline_db")),
        ("baseline  HTTP: bare FastAPI + same SELECT, 1 client", rate("baseline_http_1")),
        ("claim     HTTP, 1 claimer", rate("claim_http_1")),
        ("ratio     claim HTTP / baseline HTTP, 1", ratio("claim_http_1", "baseline_http_1")),
        (f"baseline  HTTP: bare FastAPI + same SELECT, {n} clients", rate("baseline_http_n")),
        (f"claim     HTTP, {n} concurrent claimers", rate("claim_http_n")),
        (f"ratio     claim HTTP / baseline HTTP, {n}", ratio("claim_http_n", "baseline_http_n")),
    ]
    print(
        f"queue claim benchmark: Python {platform.python_version()}, one process; {args.depth} queued cases, "
        f"{args.claims} claims a round, best of {args.rounds} rounds"
    )
    names = list(columns)
    print(f"{'':56}" + "".join(f"{name:>16}" for name in names))
    for label, cell in rows:
        line = f"{label:56}"
        for name in names:
            column = columns[name]
            line += f"{cell(column) if isinstance(column, dict) else '-':>16}"
        print(line)
    for name, column in columns.items():
        if isinstance(column, str):
            print(f"{name}: {column}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--depth", type=int, default=2000, help="cases in the queue (default 2000)")
    parser.add_argument("--claims", type=int, default=400, help="claims timed in each round (default 400)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; the best is kept (default 3)")
    parser.add_argument("--claimers", type=int, default=20, help="concurrent claimers (default 20)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()

    # Each database is set up outside the event loop (Alembic runs its own) and measured in a fresh one.
    columns: dict[str, dict[str, float] | str] = {}
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as tmp:
        sqlite_url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        migrate(sqlite_url)
        columns["sqlite"] = asyncio.run(bench(sqlite_url, args))
    if not args.no_postgres:
        try:
            cluster = new_cluster()
            with running_cluster(cluster), cluster.database() as url:
                columns["postgresql"] = asyncio.run(bench(url, args))
        except ClusterUnavailable as exc:
            columns["postgresql"] = f"not measured: {exc}"
    report(columns, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
