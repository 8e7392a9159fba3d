"""All SQL of the SMS helpline.

Claims (an inbound message to answer, an outbox message to send) keep one conversation strictly in order,
under any number of workers: a claimer first locks the conversation's `sms_contact` row (PostgreSQL:
`FOR UPDATE SKIP LOCKED`, so workers pass over each other's conversations; SQLite: every transaction is
`BEGIN IMMEDIATE`, so claims are serialised), then, in a fresh statement, takes the conversation's oldest
unfinished message, and only when nothing before it is still in hand or waiting for a retry. A worker that
dies leaves its lease to lapse; the message is then claimable again.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from api.kit.sql import insert_ignoring_duplicates, lock_rows
from api.sms.models import (
    InboundStatus,
    OutboxState,
    SmsContact,
    SmsInbound,
    SmsOutbound,
    SmsSenderPace,
)

CANDIDATE_CONVERSATIONS = 50


async def add_contact_if_new(
    session: AsyncSession, conversation_id: str, phone_index: str, phone_sealed: bytes, now: datetime
) -> None:
    await insert_ignoring_duplicates(
        session,
        SmsContact,
        {
            "conversation_id": conversation_id,
            "phone_index": phone_index,
            "phone_sealed": phone_sealed,
            "opted_out": False,
            "last_choices": [],
            "created_at": now,
            "updated_at": now,
        },
    )


async def add_inbound_if_new(session: AsyncSession, values: dict[str, object]) -> bool:
    """Insert one inbound message unless its MessageSid is already stored. True when it was new.

    `INSERT … ON CONFLICT DO NOTHING RETURNING id`: a duplicate, even a concurrent one, returns no row.
    """
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = module.insert(SmsInbound).values(**values).on_conflict_do_nothing().returning(SmsInbound.id)
    return (await session.execute(stmt)).scalar() is not None


async def contact(session: AsyncSession, conversation_id: str, *, lock: bool = False) -> SmsContact | None:
    stmt = select(SmsContact).where(SmsContact.conversation_id == conversation_id)
    if lock:
        stmt = lock_rows(session, stmt)
    return await session.scalar(stmt)


async def _lock_contact(session: AsyncSession, conversation_id: str) -> SmsContact | None:
    stmt = select(SmsContact).where(SmsContact.conversation_id == conversation_id)
    return await session.scalar(lock_rows(session, stmt, skip_locked=True))


def _inbound_claimable(now: datetime):  # type: ignore[no-untyped-def]
    return or_(
        (SmsInbound.status == InboundStatus.received) & (SmsInbound.next_attempt_at <= now),
        (SmsInbound.status == InboundStatus.processing) & (SmsInbound.lease_until < now),
    )


async def inbound_due(session: AsyncSession, now: datetime) -> bool:
    """Whether any inbound message may be claimed now (a read: the idle worker asks this first)."""
    return bool(await session.scalar(select(exists().where(_inbound_claimable(now)))))


async def outbound_due(session: AsyncSession, now: datetime) -> bool:
    """Whether any outbox SMS may be claimed now (a read, as `inbound_due`)."""
    return bool(await session.scalar(select(exists().where(_outbox_claimable(now)))))


async def claim_inbound(
    session: AsyncSession, now: datetime, lease: timedelta, claim: str
) -> SmsInbound | None:
    """The oldest inbound message of some conversation whose earlier messages are all answered."""
    candidates = await session.scalars(
        select(SmsInbound.conversation_id)
        .where(_inbound_claimable(now))
        .group_by(SmsInbound.conversation_id)
        .order_by(func.min(SmsInbound.id))
        .limit(CANDIDATE_CONVERSATIONS)
    )
    for conversation_id in list(candidates):
        if await _lock_contact(session, conversation_id) is None:
            continue  # another worker holds this conversation
        head = await session.scalar(
            select(SmsInbound)
            .where(
                SmsInbound.conversation_id == conversation_id,
                SmsInbound.status.in_((InboundStatus.received, InboundStatus.processing)),
            )
            .order_by(SmsInbound.id)
            .limit(1)
        )
        if head is None:
            continue
        if head.waits(now):
            continue  # being answered now, or waiting to retry: the later ones wait
        head.take(claim, now, lease)
        await session.flush()
        return head
    return None


async def held_inbound(session: AsyncSession, inbound_id: int, claim: str) -> SmsInbound | None:
    """The message, locked, if this claim still holds it (its lease may have lapsed to another worker)."""
    stmt = select(SmsInbound).where(SmsInbound.id == inbound_id, SmsInbound.claim == claim)
    return await session.scalar(lock_rows(session, stmt))


async def next_seq(session: AsyncSession, conversation_id: str) -> int:
    last = await session.scalar(
        select(func.max(SmsOutbound.seq)).where(SmsOutbound.conversation_id == conversation_id)
    )
    return int(last or 0) + 1


def _outbox_claimable(now: datetime):  # type: ignore[no-untyped-def]
    return or_(
        (SmsOutbound.state == OutboxState.pending) & (SmsOutbound.next_attempt_at <= now),
        (SmsOutbound.state == OutboxState.sending) & (SmsOutbound.lease_until < now),
    )


async def claim_outbound(
    session: AsyncSession, now: datetime, lease: timedelta, claim: str
) -> tuple[SmsOutbound, SmsContact] | None:
    """The next SMS of some conversation whose earlier SMS are all sent (or given up)."""
    candidates = await session.scalars(
        select(SmsOutbound.conversation_id)
        .where(_outbox_claimable(now))
        .group_by(SmsOutbound.conversation_id)
        .order_by(func.min(SmsOutbound.created_at))
        .limit(CANDIDATE_CONVERSATIONS)
    )
    for conversation_id in list(candidates):
        holder = await _lock_contact(session, conversation_id)
        if holder is None:
            continue
        head = await session.scalar(
            select(SmsOutbound)
            .where(
                SmsOutbound.conversation_id == conversation_id,
                SmsOutbound.state.in_((OutboxState.pending, OutboxState.sending)),
            )
            .order_by(SmsOutbound.seq)
            .limit(1)
        )
        if head is None:
            continue
        if head.waits(now):
            if not head.rate_limited:
                continue
            # Put off by the per-number limit: a safety SMS behind it (danger advice, STOP/START) goes now.
            head = await session.scalar(
                select(SmsOutbound)
                .where(
                    SmsOutbound.conversation_id == conversation_id,
                    SmsOutbound.safety.is_(True),
                    _outbox_claimable(now),
                )
                .order_by(SmsOutbound.seq)
                .limit(1)
            )
            if head is None:
                continue
        head.take(claim, now, lease)
        await session.flush()
        return head, holder
    return None


async def held_outbound(session: AsyncSession, outbound_id: uuid.UUID, claim: str) -> SmsOutbound | None:
    stmt = select(SmsOutbound).where(SmsOutbound.id == outbound_id, SmsOutbound.claim == claim)
    return await session.scalar(lock_rows(session, stmt))


async def recorded_sids(session: AsyncSession, sids: list[str]) -> set[str]:
    """Which of these Twilio sids are already recorded on an outbox row."""
    rows = await session.scalars(select(SmsOutbound.twilio_sid).where(SmsOutbound.twilio_sid.in_(sids)))
    return {sid for sid in rows if sid}


async def outbound_for_status(
    session: AsyncSession, outbound_id: uuid.UUID | None, message_sid: str
) -> SmsOutbound | None:
    """The outbox row a status callback is about: by our id (in the callback URL), else by Twilio's sid."""
    if outbound_id is not None:
        stmt = select(SmsOutbound).where(SmsOutbound.id == outbound_id)
    else:
        stmt = select(SmsOutbound).where(SmsOutbound.twilio_sid == message_sid)
    return await session.scalar(lock_rows(session, stmt))


async def take_send_slot(session: AsyncSession, sender: str, now: datetime, spacing: timedelta) -> datetime:
    """Reserve the next moment `sender` may send, `spacing` after the previous one (shared by workers)."""
    await insert_ignoring_duplicates(session, SmsSenderPace, {"sender_number": sender, "next_at": now})
    pace = await session.scalar(
        lock_rows(session, select(SmsSenderPace).where(SmsSenderPace.sender_number == sender))
    )
    assert pace is not None
    slot = max(now, pace.next_at)
    pace.next_at = slot + spacing
    await session.flush()
    return slot


async def cancel_pending(session: AsyncSession, conversation_id: str | None, phone_index: str | None) -> int:
    """Cancel every outbox message not yet handed to Twilio for this conversation or this number."""
    conversations: list[str] = [conversation_id] if conversation_id else []
    if phone_index:
        conversations += list(
            await session.scalars(
                select(SmsContact.conversation_id).where(SmsContact.phone_index == phone_index)
            )
        )
    if not conversations:
        return 0
    result = await session.execute(
        update(SmsOutbound)
        .where(
            SmsOutbound.conversation_id.in_(conversations),
            SmsOutbound.state.in_((OutboxState.pending, OutboxState.sending)),
        )
        .values(state=OutboxState.cancelled, reason="consent_withdrawn", body_sealed=None, claim=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
