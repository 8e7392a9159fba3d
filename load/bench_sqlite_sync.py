"""Benchmark (not a test): the cost of SQLite's `synchronous=FULL` against NORMAL (issue 15), side by side
in one run, on the commits whose acknowledgement promises durability.

Run from the repository root:

    .venvs/api/bin/python load/bench_sqlite_sync.py [--calls 300] [--rounds 3]

For each level, on its own freshly migrated database file in the same directory (same disk), rounds
interleaved (FULL, NORMAL, FULL, …) so drift on a shared machine hits both alike:

- inbound SMS stored: `api.sms.inbound.accept_inbound`, the webhook's one transaction (contact upsert,
  sealed body, `INSERT … ON CONFLICT DO NOTHING`), each a new MessageSid: what Twilio is told is stored;
- bare commit: one `BEGIN IMMEDIATE; UPDATE worker_heartbeat …; COMMIT` through the same engine: the
  floor of any acknowledged write.

Each figure is the best of `--rounds` rounds of `--calls` sequential transactions; the ratio FULL / NORMAL
is what to compare between machines (WAL mode: FULL adds an fsync of the WAL at each commit). Synthetic.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("APP_ENV", "test")

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.config import REPO_ROOT
from api.db import create_engine, create_sessionmaker
from api.kit.crypto import Vault
from api.kit.models import utcnow
from api.sms.inbound import accept_inbound
from api.sms.schemas import InboundSms

LEVELS = ("FULL", "NORMAL")


def migrate(database_url: str) -> None:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


async def best(run: Callable[[int], Awaitable[None]], calls: int, start: int) -> float:
    began = time.perf_counter()
    for n in range(calls):
        await run(start + n)
    return (time.perf_counter() - began) / calls


async def measure(engines: dict[str, AsyncEngine], calls: int, rounds: int) -> dict[str, dict[str, float]]:
    vault = Vault([os.urandom(32)], os.urandom(32))
    figures: dict[str, dict[str, float]] = {level: {} for level in LEVELS}
    for engine in engines.values():  # a heartbeat row for the bare commit
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO worker_heartbeat (name, seen_at) VALUES ('bench', :t)"), {"t": utcnow()}
            )
    counter = 0
    for _ in range(rounds):
        for level, engine in engines.items():
            sessions = create_sessionmaker(engine)

            async def store(n: int, sessions=sessions) -> None:  # type: ignore[no-untyped-def]
                sid = f"SM{n:032x}"
                message = InboundSms(
                    message_sid=sid,
                    from_number=f"+4477009{n % 1000:05d}",
                    sender="+447700900000",
                    body="Synthetic message for the durability benchmark",
                    num_media=0,
                    opt_out_type=None,
                )
                await accept_inbound(sessions, vault, message)

            async def bare(n: int, engine=engine) -> None:  # type: ignore[no-untyped-def]
                async with engine.begin() as connection:
                    await connection.execute(
                        text("UPDATE worker_heartbeat SET seen_at = :t WHERE name = 'bench'"), {"t": utcnow()}
                    )

            for name, run in (("inbound SMS stored", store), ("bare commit", bare)):
                seconds = await best(run, calls, counter)
                counter += calls
                figures[level][name] = min(figures[level].get(name, float("inf")), seconds)
    return figures


async def run_levels(urls: dict[str, str], calls: int, rounds: int) -> dict[str, dict[str, float]]:
    engines = {level: create_engine(url, sqlite_synchronous=level) for level, url in urls.items()}
    try:
        return await measure(engines, calls, rounds)
    finally:
        for engine in engines.values():
            await engine.dispose()


def main_sync(calls: int, rounds: int) -> None:
    # Under data/ (the disk the database lives on), not /tmp, which may be a RAM disk where fsync is free.
    (REPO_ROOT / "data").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=REPO_ROOT / "data") as tmp:
        urls = {level: f"sqlite+aiosqlite:///{Path(tmp) / f'{level.lower()}.db'}" for level in LEVELS}
        for url in urls.values():
            migrate(url)
        figures = asyncio.run(run_levels(urls, calls, rounds))
    print(f"SQLite synchronous FULL vs NORMAL ({platform.python_version()}, {calls} calls x {rounds} rounds)")
    print(f"{'transaction':<22}{'FULL ms':>10}{'NORMAL ms':>12}{'FULL/s':>10}{'NORMAL/s':>10}{'ratio':>8}")
    for name in figures["FULL"]:
        full, normal = figures["FULL"][name], figures["NORMAL"][name]
        print(
            f"{name:<22}{full * 1000:>10.2f}{normal * 1000:>12.2f}{1 / full:>10.0f}{1 / normal:>10.0f}"
            f"{full / normal:>8.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    main_sync(args.calls, args.rounds)


if __name__ == "__main__":
    main()
