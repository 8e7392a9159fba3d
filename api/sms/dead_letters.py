"""Dead letters: inbound SMS whose turn failed on every attempt (api/sms/turns.py), and the outbox's and
inbound queue's health figures read by /readyz and /metrics (api/health).

`python -m api sms dead-letters list` prints each dead letter's id, MessageSid, attempts, its last error's
type and when it was given up (nothing personal: the body stays sealed); `retry ID` puts one back in the
queue with a fresh set of attempts (audited).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import service as audit
from api.auth import OPERATOR
from api.kit.models import utcnow
from api.sms.models import InboundStatus, OutboxState, SmsInbound, SmsOutbound


@dataclass(frozen=True)
class DeadLetter:
    id: int
    message_sid: str
    attempts: int
    last_error: str | None
    dead_at: str | None


@dataclass(frozen=True)
class QueueHealth:
    inbound_waiting: int  # received or processing
    oldest_inbound_age_seconds: float  # 0 when none waits
    outbox_due: int  # pending and due, or being sent
    outbox_lag_seconds: float  # how long the oldest due SMS has been due; 0 when none
    dead_letters: int


async def dead_letters(session: AsyncSession) -> list[DeadLetter]:
    rows = await session.scalars(
        select(SmsInbound).where(SmsInbound.status == InboundStatus.dead).order_by(SmsInbound.id)
    )
    return [
        DeadLetter(
            r.id, r.message_sid, r.attempts, r.last_error, r.dead_at.isoformat() if r.dead_at else None
        )
        for r in rows
    ]


async def retry(session: AsyncSession, inbound_id: int) -> bool:
    """Put one dead letter back in the queue, in the caller's transaction. False when it is not one."""
    row = await session.scalar(
        select(SmsInbound).where(SmsInbound.id == inbound_id, SmsInbound.status == InboundStatus.dead)
    )
    if row is None:
        return False
    row.revive(utcnow())
    await audit.record(session, OPERATOR, "sms.dead_letter.retry", None, f"inbound={inbound_id}")
    return True


def _age(now: datetime, moment: datetime | None) -> float:
    return max((now - moment).total_seconds(), 0.0) if moment is not None else 0.0


async def queue_health(session: AsyncSession, now: datetime | None = None) -> QueueHealth:
    now = now or utcnow()
    waiting = (InboundStatus.received, InboundStatus.processing)
    inbound_count, inbound_oldest = (
        await session.execute(
            select(func.count(), func.min(SmsInbound.created_at)).where(SmsInbound.status.in_(waiting))
        )
    ).one()
    due = (SmsOutbound.state == OutboxState.sending) | (
        (SmsOutbound.state == OutboxState.pending) & (SmsOutbound.next_attempt_at <= now)
    )
    outbox_count, outbox_oldest = (
        await session.execute(select(func.count(), func.min(SmsOutbound.created_at)).where(due))
    ).one()
    dead = await session.scalar(
        select(func.count()).select_from(SmsInbound).where(SmsInbound.status == InboundStatus.dead)
    )
    return QueueHealth(
        inbound_waiting=int(inbound_count or 0),
        oldest_inbound_age_seconds=_age(now, inbound_oldest),
        outbox_due=int(outbox_count or 0),
        outbox_lag_seconds=_age(now, outbox_oldest),
        dead_letters=int(dead or 0),
    )


async def _run(action: str, inbound_id: int | None) -> int:
    from api.config import get_settings
    from api.db import create_engine, create_sessionmaker

    engine = create_engine(get_settings().database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            if action == "list":
                print(json.dumps([asdict(d) for d in await dead_letters(session)], indent=2))
                return 0
            assert inbound_id is not None
            if await retry(session, inbound_id):
                print(f"inbound {inbound_id} is back in the queue")
                return 0
            print(f"inbound {inbound_id} is not a dead letter")
            return 1
    finally:
        await engine.dispose()


def run(action: str, inbound_id: int | None) -> int:
    return asyncio.run(_run(action, inbound_id))
