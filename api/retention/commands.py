"""`python -m api retention …`: run disposal, place or lift a legal hold, print the policy."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

from api.auth import OPERATOR
from api.config import get_settings
from api.db import create_engine, create_sessionmaker
from api.kit.models import utcnow
from api.kit.time import as_utc
from api.referral.errors import ReferralNotFound
from api.retention import policy, service
from api.retention.disposal import Disposal, RunReport
from api.retention.schemas import HoldRead, HoldReason


async def _run(dry_run: bool, now: datetime) -> RunReport:
    settings = get_settings()
    engine = create_engine(settings.database_url)
    disposal = Disposal(create_sessionmaker(engine), settings)
    try:
        return await disposal.run(now, dry_run=dry_run)
    finally:
        await disposal.close()
        await engine.dispose()


def run(dry_run: bool, at: str | None) -> int:
    """Print what went (or would go) per class and store. `at` (ISO date-time) is for rehearsals: what a
    run at that moment would do; only with --dry-run, so nothing is ever removed early."""
    if at is not None and not dry_run:
        print("--at is only allowed with --dry-run")
        return 2
    now = as_utc(datetime.fromisoformat(at)) if at else utcnow()
    report = asyncio.run(_run(dry_run, now))
    for line in report.lines() or ["nothing due"]:
        print(line)
    print(f"batches: {report.batches}; longest batch: {report.longest_batch_seconds * 1000:.1f} ms")
    return 0


async def _hold(reference: str, reason: HoldReason, release: bool) -> HoldRead:
    settings = get_settings()
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            if release:
                return await service.release(session, settings, OPERATOR, reference, reason)
            return await service.hold(session, settings, OPERATOR, reference, reason)
    finally:
        await engine.dispose()


def hold(reference: str, reason: str, *, release: bool = False) -> int:
    try:
        result = asyncio.run(_hold(reference, HoldReason(reason), release))
    except ReferralNotFound:
        print(f"no case {reference}")
        return 1
    print(result.model_dump_json(indent=2))
    return 0


def show_policy() -> int:
    rows = policy.table(get_settings())
    print(json.dumps([{"class": c, "clock": k, "period": p} for c, k, p in rows], indent=2))
    return 0
