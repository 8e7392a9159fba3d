"""Benchmark (not a test): disposal throughput on many synthetic cases, and the longest time the job holds
the SQLite write lock while chat-like writes run beside it.

Run from the repository root:

    .venvs/api/bin/python load/bench_retention.py [--cases 100000] [--batch 200] [--postgresql [--no-sqlite]]

One process. A migrated SQLite database (and, with `--postgresql`, a throwaway PostgreSQL server started and
removed by tests/pg.py) is seeded with `--cases` referrals past their retention (class `not_taken_up`, each
with its consent receipt, queue entry and sealed fields of a realistic size), half of them with a web chat
conversation row and three Rasa tracker events (a SQLite tracker store with Rasa's indexed `events` table).
Then, for each database:

- baseline: the same referrals' rows deleted by bare `DELETE … WHERE id IN (…)` statements (queue entries,
  then referrals), `--batch` per transaction: the cheapest way to empty those tables batch by batch;
- disposal: `Disposal.run` (api/retention/disposal.py) on a fresh copy: the due query, the tracker purge,
  every store's rows, the audit event per batch, secure delete; with, beside it on SQLite, a chat-like
  writer: a one-row UPDATE transaction every 5 ms on its own connection, as a chat turn's `record` does.

It prints cases per second for both and their ratio, the longest batch (the longest the job held the
write lock: on SQLite every transaction holds it from BEGIN IMMEDIATE to COMMIT), and the chat writer's
p50/p99/max wait. Everything is synthetic.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchkit import settings_for
from sqlalchemy import delete, insert, update
from sqlalchemy.ext.asyncio import AsyncEngine

from api.config import Settings
from api.consent.models import ConsentReceipt
from api.conversation.models import Conversation
from api.db import create_engine, create_sessionmaker
from api.queue.models import QueueEntry
from api.referral.models import Referral
from api.retention.disposal import Disposal, RunReport
from tests.pg import ClusterUnavailable, migrate, new_cluster, running_cluster

RECEIVED = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
NOW = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)  # a year later: every seeded case is due
SEED_CHUNK = 5000


def seed_rows(n: int) -> tuple[list[dict[str, Any]], ...]:
    receipts, referrals, entries, conversations = [], [], [], []
    for i in range(n):
        receipt_id, referral_id = uuid.uuid4(), uuid.uuid4()
        conversation = f"w_bench_{i:07d}" if i % 2 == 0 else None
        receipts.append(
            {
                "id": receipt_id,
                "kind": "grant",
                "lawful_basis": "consent",
                "purposes": ["store_and_process", "share_with_provider"],
                "wording_versions": [],
                "language": "en",
                "channel": "web_chat",
                "given_by": "person",
                "given_at": RECEIVED,
                "conversation_id": conversation,
                "created_at": RECEIVED,
            }
        )
        referrals.append(
            {
                "id": referral_id,
                "reference": f"SR-{i:04d}-{i // 10000:04d}"[:16],
                "source": "web_chat",
                "conversation_id": conversation,
                "language": "en",
                "consent_receipt_id": receipt_id,
                "person_sealed": os.urandom(180),
                "answers_sealed": os.urandom(420),
                "phone_index": os.urandom(32).hex(),
                "triage_input_sealed": os.urandom(160),  # sealed like the real ones: opaque bytes
                "decision_sealed": os.urandom(240),
                "rules_version": "bench",
                "outcome": "referred",
                "queue": "hate_crime",
                "tier": "standard",
                "priority": "normal",
                "emergency": False,
                "deadline": RECEIVED + timedelta(days=2),
                "received_at": RECEIVED,
                "retention_class": "not_taken_up",
                "retention_from": RECEIVED,
                "created_at": RECEIVED,
            }
        )
        entries.append(
            {
                "id": uuid.uuid4(),
                "referral_id": referral_id,
                "queue": "hate_crime",
                "is_secondary": False,
                "status": "queued",
                "priority_rank": 2,
                "deadline": RECEIVED + timedelta(days=2),
                "received_at": RECEIVED,
                "created_at": RECEIVED,
                "updated_at": RECEIVED,
            }
        )
        if conversation:
            conversations.append(
                {
                    "id": conversation,
                    "channel": "web_chat",
                    "language": "en",
                    "language_source": "chosen",
                    "language_menu_open": False,
                    "last_message_at": RECEIVED,
                    "created_at": RECEIVED,
                }
            )
    return receipts, referrals, entries, conversations


async def seed(engine: AsyncEngine, n: int) -> list[uuid.UUID]:
    receipts, referrals, entries, conversations = seed_rows(n)
    sessionmaker = create_sessionmaker(engine)
    for table, rows in (
        (ConsentReceipt, receipts),
        (Referral, referrals),
        (QueueEntry, entries),
        (Conversation, conversations),
    ):
        for start in range(0, len(rows), SEED_CHUNK):
            async with sessionmaker() as session, session.begin():
                await session.execute(insert(table), rows[start : start + SEED_CHUNK])
    # A writer beside the job needs a row of its own that disposal never touches.
    async with sessionmaker() as session, session.begin():
        await session.execute(
            insert(Conversation),
            [{"id": "w_bench_writer", "channel": "web_chat", "language": "en", "last_message_at": NOW}],
        )
    return [r["id"] for r in referrals]


def seed_tracker(path: Path, n: int) -> None:
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
            "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
            "action_name VARCHAR(255), data TEXT)"
        )
        db.execute("CREATE INDEX ix_events_sender_id ON events (sender_id)")
        db.executemany(
            "INSERT INTO events (sender_id, type_name, data) VALUES (?, 'user', ?)",
            (
                (f"w_bench_{i:07d}", '{"text": "Synthetic: a message of the conversation"}')
                for i in range(0, n, 2)
                for _ in range(3)
            ),
        )


async def baseline(engine: AsyncEngine, ids: list[uuid.UUID], batch: int) -> float:
    sessionmaker = create_sessionmaker(engine)
    started = time.perf_counter()
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        async with sessionmaker() as session, session.begin():
            await session.execute(delete(QueueEntry).where(QueueEntry.referral_id.in_(chunk)))
            await session.execute(delete(Referral).where(Referral.id.in_(chunk)))
    return time.perf_counter() - started


async def chat_writer(engine: AsyncEngine, stop: asyncio.Event, waits: list[float]) -> None:
    sessionmaker = create_sessionmaker(engine)
    while not stop.is_set():
        started = time.perf_counter()
        async with sessionmaker() as session, session.begin():
            await session.execute(
                update(Conversation)
                .where(Conversation.id == "w_bench_writer")
                .values(last_message_at=NOW + timedelta(seconds=len(waits)))
            )
        waits.append(time.perf_counter() - started)
        await asyncio.sleep(0.005)


async def dispose(
    settings: Settings, batch: int, with_writer: bool
) -> tuple[float, RunReport, int, list[float]]:
    engine = create_engine(settings.database_url)
    writer_engine = create_engine(settings.database_url)
    disposal = Disposal(create_sessionmaker(engine), settings, batch_size=batch)
    stop = asyncio.Event()
    waits: list[float] = []
    writer = asyncio.create_task(chat_writer(writer_engine, stop, waits)) if with_writer else None
    try:
        started = time.perf_counter()
        report = await disposal.run(NOW)
        elapsed = time.perf_counter() - started
    finally:
        stop.set()
        if writer is not None:
            await writer
        await disposal.close()
        await engine.dispose()
        await writer_engine.dispose()
    removed = report.counts.get("not_taken_up", {}).get("referral", 0)
    return elapsed, report, removed, waits


def line(name: str, cases: int, seconds: float) -> str:
    return f"  {name:<34} {cases / seconds:>10,.0f} cases/s  ({seconds:.1f} s)"


def quantile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def batches_line(report: RunReport) -> str:
    """The batches' wall times (each one how long the write lock was held) and the most CPU one took: on a
    busy machine the wall time includes waiting for a core, the CPU time is what the batch itself needs."""
    walls = sorted(report.batch_seconds)
    cpus = sorted(report.batch_cpu_seconds)
    return (
        f"  batches: {report.batches}; write lock held per batch "
        f"p50 {statistics.median(walls) * 1000:.1f} ms, "
        f"p99 {quantile(walls, 0.99) * 1000:.1f} ms, longest {walls[-1] * 1000:.1f} ms; "
        f"CPU per batch p50 {statistics.median(cpus) * 1000:.1f} ms, longest {cpus[-1] * 1000:.1f} ms"
    )


def waits_line(waits: list[float]) -> str:
    if not waits:
        return "  chat writer: no writes"
    ordered = sorted(waits)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"  chat writer beside it: {len(waits)} writes, p50 {statistics.median(ordered) * 1000:.1f} ms, "
        f"p99 {p99 * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms"
    )


async def bench_database(name: str, urls: tuple[str, str], tmp: Path, cases: int, batch: int) -> None:
    base_url, run_url = urls
    print(f"{name}: {cases:,} cases, batch {batch}")
    base_engine = create_engine(base_url)
    ids = await seed(base_engine, cases)
    base = await baseline(base_engine, ids, batch)
    await base_engine.dispose()
    print(line("baseline (bare DELETE … IN)", cases, base))

    tracker = tmp / f"{name}-tracker.db"
    seed_tracker(tracker, cases)
    run_engine = create_engine(run_url)
    await seed(run_engine, cases)
    await run_engine.dispose()
    settings = settings_for(run_url).model_copy(update={"rasa_tracker_db": str(tracker)})
    elapsed, report, removed, waits = await dispose(settings, batch, with_writer=name == "sqlite")
    assert removed == cases, (removed, cases)
    print(line("disposal (every store, audited)", cases, elapsed))
    print(f"  ratio disposal / baseline: {elapsed / base:.2f}x the time")
    print(batches_line(report))
    if name == "sqlite":
        print(waits_line(waits))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--postgresql", action="store_true", help="also on a throwaway PostgreSQL server")
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL (with --postgresql)")
    args = parser.parse_args()
    # Stopped from outside (a timeout, Ctrl-C): still stop the PostgreSQL server and remove the files.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    tmp = Path(tempfile.mkdtemp(prefix="bench-retention-"))
    try:
        urls = []
        for label in ("base", "run"):
            url = f"sqlite+aiosqlite:///{tmp / label}.db"
            migrate(url)  # Alembic runs its own event loop: before ours
            urls.append(url)
        if not args.no_sqlite:
            asyncio.run(bench_database("sqlite", (urls[0], urls[1]), tmp, args.cases, args.batch))
        if args.postgresql:
            try:
                cluster = new_cluster()
            except ClusterUnavailable as exc:
                print(f"postgresql: skipped ({exc})")
                return
            with running_cluster(cluster), cluster.database() as base_url, cluster.database() as run_url:
                asyncio.run(bench_database("postgresql", (base_url, run_url), tmp, args.cases, args.batch))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
