"""Benchmark (not a test): referral creations per second on SQLite, through the ASGI app in-process.

Run from the repository root:

    .venvs/api/bin/python load/bench_hub.py [--referrals 300] [--clients 10] [--rows 300] [--rounds 3]

In one process, against a fresh migrated SQLite database (WAL, `BEGIN IMMEDIATE`, as in production), and in
the same run:

- baseline, bare: a bare FastAPI app with one `POST` endpoint taking the same JSON body and answering a
  small JSON object, through the same `httpx.ASGITransport`: routing, JSON in and out, the ASGI hop;
- baseline, bare + write: the same endpoint committing one small INSERT in its own `BEGIN IMMEDIATE`
  transaction on the api's engine: the cheapest durable write;
- create, service: `api.intake.service.create` in its own transaction, no HTTP (triage, consent receipt,
  sealing, blind index, referral, queue entries);
- create, HTTP: `POST /v1/referrals` as the bot with an `Idempotency-Key` (token check, validation, the
  idempotency record, the JSON answer), one client, then `--clients` concurrent clients;
- import: the police daily feed through `POST /v1/admin/police-feed`, rows per second (one transaction a
  row, by design; see api/police_feed/service.py).

The payloads are a mix of hate crime, ASB and domestic abuse self-referrals, synthetic only. Each figure is
the best of `--rounds` rounds; the ratios against the baselines are what to compare between machines and
runs, because a shared machine's absolute numbers drift. Claims per second: `load/bench_queue.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# Synthetic data uses Ofcom drama numbers, accepted only when this is on (read when settings first load).
os.environ.setdefault("APP_ENV", "test")
os.environ.setdefault("ALLOW_FICTIONAL_PHONE_NUMBERS", "true")

from alembic import command
from alembic.config import Config
from benchkit import BOT_TOKEN, served, settings_for
from fastapi import FastAPI
from sqlalchemy import text

from api.auth import BOT_PRINCIPAL_ID, Caller
from api.config import REPO_ROOT
from api.intake import service
from api.main import create_app
from api.police_feed.csv_format import COLUMNS
from api.principal.models import PrincipalKind
from api.referral.schemas import ReferralCreate
from tests.builders import bearer, create_principal, referral_payload, shown_consent_versions

BOT = {"Authorization": f"Bearer {BOT_TOKEN}"}
MIX: list[dict[str, Any]] = [
    {"incident_type": "hate", "hate_strands": ["race"], "consent": "given"},
    {"incident_type": "asb", "relationship": "neighbour", "consent": "given", "asb_reports_6m": 2},
    {
        "incident_type": "domestic_abuse",
        "relationship": "partner",
        "consent": "given",
        "da_red_flags": ["stalking"],
    },
    {"incident_type": "hate", "hate_strands": ["religion"], "consent": "given", "repeat_targeting": True},
]
Timed = Callable[[], Awaitable[int]]


def migrate(database_url: str) -> None:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


def bare_app(app: FastAPI) -> FastAPI:
    """The baseline: no auth, no middleware; one endpoint answering at once, one committing an INSERT."""
    bare = FastAPI()

    @bare.post("/bare")
    async def bare_endpoint(body: dict[str, Any]) -> dict[str, str]:
        return {"reference": "SR-BARE-0000"}

    @bare.post("/bare/write")
    async def bare_write(body: dict[str, Any]) -> dict[str, str]:
        async with app.state.sessionmaker() as session, session.begin():
            await session.execute(text("INSERT INTO bench_row (body) VALUES (:b)"), {"b": b"x" * 64})
        return {"reference": "SR-BARE-0000"}

    return bare


def payload(versions: list[str], i: int) -> dict[str, Any]:
    body = referral_payload(conversation_id=f"w_bench_{uuid.uuid4().hex[:16]}", triage=MIX[i % len(MIX)])
    body["consent"]["wording_versions"] = versions
    return body


def police_csv(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    batch = uuid.uuid4().hex[:8].upper()
    for i in range(rows):
        row = {
            "name": f"Synthetic Person {i}",
            "telephone": f"07700 900{i % 1000:03d}",
            "hate_racial_indicator": "Y" if i % 2 else "N",
            "domestic_indicator": "N" if i % 2 else "Y",
            "relationship_of_perpetrator": "stranger" if i % 2 else "partner",
            "crime_description": "Synthetic: benchmark row",
            "crime_reference": f"SP/{batch}/{i:06d}",
            "date_received": "2026-11-20T10:00",
        }
        writer.writerow([row.get(column, "") for column in COLUMNS])
    return out.getvalue().encode()


async def best_rate(work: Timed, rounds: int) -> float:
    """Operations per second of the fastest round (the least disturbed by other load)."""
    await work()  # warm up: pools, statement caches, lazy imports
    best = 0.0
    for _ in range(rounds):
        started = time.perf_counter()
        done = await work()
        best = max(best, done / (time.perf_counter() - started))
    return best


async def concurrently(worker: Callable[[int], Awaitable[None]], workers: int, done: int) -> int:
    await asyncio.gather(*(worker(w) for w in range(workers)))
    return done


async def bench(database_url: str, args: argparse.Namespace) -> dict[str, float]:
    app = create_app(settings_for(database_url))
    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(served(app))
        bare = await stack.enter_async_context(served(bare_app(app)))
        async with app.state.sessionmaker() as session, session.begin():
            await session.execute(text("CREATE TABLE bench_row (id INTEGER PRIMARY KEY, body BLOB)"))
        versions = await shown_consent_versions(client, BOT)
        admin = {
            **bearer(await create_principal(app, "admin", "Synthetic admin")),
            "content-type": "text/csv",
        }
        bot = Caller(BOT_PRINCIPAL_ID, PrincipalKind.bot, "bot service")
        n = args.referrals

        def bare_http(path: str) -> Timed:
            async def run() -> int:
                for i in range(n):
                    reply = await bare.post(path, json=payload(versions, i))
                    assert reply.status_code == 200
                return n

            return run

        # Validated up front, one list a round (and one for the warm-up): only the service's work is timed.
        prepared = [
            [ReferralCreate.model_validate(payload(versions, i)) for i in range(n)]
            for _ in range(args.rounds + 1)
        ]

        async def create_service() -> int:
            for body in prepared.pop():
                async with app.state.sessionmaker() as session, session.begin():
                    await service.create(session, app.state.vault, bot, body)
            return n

        def create_http(clients: int) -> Timed:
            async def worker(w: int) -> None:
                for i in range(w, n, clients):
                    headers = {**BOT, "Idempotency-Key": f"bench-{uuid.uuid4().hex}"}
                    reply = await client.post("/v1/referrals", json=payload(versions, i), headers=headers)
                    assert reply.status_code == 201, reply.text

            return lambda: concurrently(worker, clients, n)

        async def police_import() -> int:
            reply = await client.post("/v1/admin/police-feed", content=police_csv(args.rows), headers=admin)
            assert reply.status_code == 200 and reply.json()["imported"] == args.rows, reply.text
            return args.rows

        results = {
            "bare": await best_rate(bare_http("/bare"), args.rounds),
            "bare_write": await best_rate(bare_http("/bare/write"), args.rounds),
        }
        results["create_service"] = await best_rate(create_service, args.rounds)
        results["create_http_1"] = await best_rate(create_http(1), args.rounds)
        results["create_http_n"] = await best_rate(create_http(args.clients), args.rounds)
        results["import_rows"] = await best_rate(police_import, args.rounds)
        return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--referrals", type=int, default=300, help="creations per round (default 300)")
    parser.add_argument("--clients", type=int, default=10, help="concurrent clients (default 10)")
    parser.add_argument("--rows", type=int, default=300, help="police feed rows per round (default 300)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; the best is kept (default 3)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-hub-") as tmp:
        database_url = f"sqlite+aiosqlite:///{tmp}/api.db"
        migrate(database_url)
        r = asyncio.run(bench(database_url, args))

    c = args.clients
    print(f"referral hub benchmark: SQLite (WAL), Python {platform.python_version()}, in-process ASGI")
    print(f"{args.referrals} referrals and {args.rows} feed rows a round, best of {args.rounds} rounds")
    rows = [
        ("baseline  bare POST endpoint, same ASGI transport", f"{r['bare']:,.0f} /s"),
        ("baseline  bare POST + one INSERT transaction", f"{r['bare_write']:,.0f} /s"),
        ("create    referral service, own transaction (no HTTP)", f"{r['create_service']:,.0f} /s"),
        ("create    POST /v1/referrals, 1 client", f"{r['create_http_1']:,.0f} /s"),
        (f"create    POST /v1/referrals, {c} concurrent clients", f"{r['create_http_n']:,.0f} /s"),
        ("import    police feed rows, admin endpoint (1 txn a row)", f"{r['import_rows']:,.0f} /s"),
        ("ratio     create (1 client) / bare endpoint", f"{r['create_http_1'] / r['bare']:.3f}"),
        ("ratio     create (1 client) / bare + INSERT", f"{r['create_http_1'] / r['bare_write']:.3f}"),
        (
            f"ratio     create ({c} clients) / create (1 client)",
            f"{r['create_http_n'] / r['create_http_1']:.3f}",
        ),
    ]
    for label, value in rows:
        print(f"{label:<60}{value:>14}")
    print("claims per second: load/bench_queue.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
