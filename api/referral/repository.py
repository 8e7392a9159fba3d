"""All SQL of referrals."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.referral.models import IdempotencyRecord, Referral


async def reference_exists(session: AsyncSession, reference: str) -> bool:
    return (await session.scalar(select(Referral.id).where(Referral.reference == reference))) is not None


async def by_reference(session: AsyncSession, reference: str) -> Referral | None:
    result: Referral | None = await session.scalar(select(Referral).where(Referral.reference == reference))
    return result


async def add(session: AsyncSession, referral: Referral) -> Referral:
    session.add(referral)
    await session.flush()
    return referral


async def idempotency_record(session: AsyncSession, principal: str, key: str) -> IdempotencyRecord | None:
    return await session.get(IdempotencyRecord, (principal, key))


async def add_idempotency_record(session: AsyncSession, record: IdempotencyRecord) -> None:
    session.add(record)
    await session.flush()
