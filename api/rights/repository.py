"""The rights feature's SQL: it reads every store that may hold something about a person, by blind index
or by id, never by opening every sealed row. Flushes only."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.consent.models import ConsentReceipt
from api.conversation.models import Conversation
from api.queue.models import EntryStatus, QueueEntry
from api.referral.models import Referral
from api.sms.models import SmsContact, SmsInbound, SmsOutbound

OPEN_ENTRY = (EntryStatus.queued, EntryStatus.claimed, EntryStatus.accepted, EntryStatus.returned)


async def referrals_where(
    session: AsyncSession,
    *,
    phone_indexes: Iterable[str] = (),
    email_indexes: Iterable[str] = (),
    references: Iterable[str] = (),
    external_ref_indexes: Iterable[str] = (),
) -> list[Referral]:
    phones, emails, refs, externals = (
        list(phone_indexes),
        list(email_indexes),
        list(references),
        list(external_ref_indexes),
    )
    clauses = []
    if phones:
        clauses.append(Referral.phone_index.in_(phones))
    if emails:
        clauses.append(Referral.email_index.in_(emails))
    if refs:
        clauses.append(Referral.reference.in_(refs))
    if externals:
        clauses.append(Referral.external_ref_index.in_(externals))
    if not clauses:
        return []
    return list(await session.scalars(select(Referral).where(or_(*clauses)).order_by(Referral.received_at)))


async def by_reference(session: AsyncSession, reference: str, *, lock: bool = False) -> Referral | None:
    query = select(Referral).where(Referral.reference == reference)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def bot_referrals_of_conversation(session: AsyncSession, conversation_id: str) -> list[Referral]:
    """The referrals the bot made in this conversation (an agency's never count, whatever they name)."""
    return list(
        await session.scalars(
            select(Referral)
            .where(Referral.conversation_id == conversation_id, Referral.created_by.is_(None))
            .order_by(Referral.received_at)
        )
    )


async def open_referrals_of_conversation(session: AsyncSession, conversation_id: str) -> list[Referral]:
    """The bot's referrals of this conversation still being worked: consent not withdrawn, and an entry
    in a provider's queue that is not closed."""
    open_ids = select(QueueEntry.referral_id).where(QueueEntry.status.in_(OPEN_ENTRY))
    return list(
        await session.scalars(
            select(Referral)
            .where(
                Referral.conversation_id == conversation_id,
                Referral.created_by.is_(None),
                Referral.withdrawn_at.is_(None),
                Referral.id.in_(open_ids),
            )
            .order_by(Referral.received_at)
        )
    )


async def receipts(session: AsyncSession, grant_ids: Iterable[uuid.UUID]) -> list[ConsentReceipt]:
    """The grants and every receipt that supersedes one (their withdrawals)."""
    ids = list(grant_ids)
    if not ids:
        return []
    return list(
        await session.scalars(
            select(ConsentReceipt)
            .where(or_(ConsentReceipt.id.in_(ids), ConsentReceipt.supersedes_id.in_(ids)))
            .order_by(ConsentReceipt.given_at)
        )
    )


async def queue_entries(session: AsyncSession, referral_ids: Iterable[uuid.UUID]) -> list[QueueEntry]:
    ids = list(referral_ids)
    if not ids:
        return []
    return list(
        await session.scalars(
            select(QueueEntry).where(QueueEntry.referral_id.in_(ids)).order_by(QueueEntry.created_at)
        )
    )


async def sms_contacts(
    session: AsyncSession, phone_indexes: Iterable[str], conversation_ids: Iterable[str]
) -> list[SmsContact]:
    phones, conversations = list(phone_indexes), list(conversation_ids)
    if not phones and not conversations:
        return []
    return list(
        await session.scalars(
            select(SmsContact).where(
                or_(SmsContact.phone_index.in_(phones), SmsContact.conversation_id.in_(conversations))
            )
        )
    )


async def sms_inbound(session: AsyncSession, conversation_ids: Iterable[str]) -> list[SmsInbound]:
    ids = list(conversation_ids)
    if not ids:
        return []
    return list(
        await session.scalars(
            select(SmsInbound).where(SmsInbound.conversation_id.in_(ids)).order_by(SmsInbound.id)
        )
    )


async def sms_outbound(session: AsyncSession, conversation_ids: Iterable[str]) -> list[SmsOutbound]:
    ids = list(conversation_ids)
    if not ids:
        return []
    return list(
        await session.scalars(
            select(SmsOutbound)
            .where(SmsOutbound.conversation_id.in_(ids))
            .order_by(SmsOutbound.conversation_id, SmsOutbound.seq)
        )
    )


async def conversations(session: AsyncSession, conversation_ids: Iterable[str]) -> list[Conversation]:
    ids = list(conversation_ids)
    if not ids:
        return []
    return list(
        await session.scalars(
            select(Conversation).where(Conversation.id.in_(ids)).order_by(Conversation.created_at)
        )
    )
