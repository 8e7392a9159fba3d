"""Writing and verifying the audit chain.

Each event's hash is SHA-256 over the previous event's hash and the event's own canonical fields, so
changing, removing or reordering any row breaks every hash after it. Appends are serialised: SQLite's
`BEGIN IMMEDIATE` already gives one writer; on PostgreSQL a transaction-scoped advisory lock does.
Events carry ids, never personal data.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit.models import AuditEvent
from api.auth import Caller
from api.kit.models import utcnow

GENESIS = "0" * 64
_ADVISORY_LOCK_KEY = 0x5A_4155_4449_54  # "ZAUDIT"


def event_hash(prev_hash: str, event: AuditEvent) -> str:
    body = json.dumps(
        {
            "at": event.at.isoformat(),
            "principal_id": str(event.principal_id),
            "principal_kind": event.principal_kind,
            "action": event.action,
            "referral_id": str(event.referral_id) if event.referral_id else None,
            "reason": event.reason,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(f"{prev_hash}|{body}".encode()).hexdigest()


async def record(
    session: AsyncSession, caller: Caller, action: str, referral_id: uuid.UUID | None, reason: str
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
    last = await session.scalar(select(AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1))
    prev = last or GENESIS
    event = AuditEvent(
        at=utcnow(),
        principal_id=caller.id,
        principal_kind=str(caller.kind),
        action=action,
        referral_id=referral_id,
        reason=reason[:200],
        prev_hash=prev,
    )
    event.hash = event_hash(prev, event)
    session.add(event)
    await session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    events: int
    first_broken_seq: int | None

    @property
    def ok(self) -> bool:
        return self.first_broken_seq is None


async def verify(session: AsyncSession, batch: int = 5000) -> ChainReport:
    prev = GENESIS
    count = 0
    after = 0
    while True:
        rows = list(
            await session.scalars(
                select(AuditEvent).where(AuditEvent.seq > after).order_by(AuditEvent.seq).limit(batch)
            )
        )
        if not rows:
            return ChainReport(count, None)
        for event in rows:
            if event.prev_hash != prev or event_hash(prev, event) != event.hash:
                return ChainReport(count, event.seq)
            prev = event.hash
            count += 1
            after = event.seq
