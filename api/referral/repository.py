"""All SQL of referrals."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.referral.errors import IdempotencyInProgress
from api.referral.models import DecisionVersion, IdempotencyRecord, Referral


async def reference_exists(session: AsyncSession, reference: str) -> bool:
    return (await session.scalar(select(Referral.id).where(Referral.reference == reference))) is not None


async def by_reference(session: AsyncSession, reference: str, *, lock: bool = False) -> Referral | None:
    """One referral; with `lock`, its row is held until the transaction ends (`FOR UPDATE` on PostgreSQL;
    SQLite's `BEGIN IMMEDIATE` already serialises writers)."""
    stmt = select(Referral).where(Referral.reference == reference)
    result: Referral | None = await session.scalar(stmt.with_for_update() if lock else stmt)
    return result


async def add(session: AsyncSession, referral: Referral) -> Referral:
    session.add(referral)
    await session.flush()
    return referral


async def idempotency_record(session: AsyncSession, principal: str, key: str) -> IdempotencyRecord | None:
    return await session.get(IdempotencyRecord, (principal, key))


async def add_idempotency_record(session: AsyncSession, record: IdempotencyRecord) -> None:
    """Keep the first answer for this key. A concurrent request with the same key that committed first
    makes this insert fail: the caller gets 409 and its whole transaction (the duplicate) rolls back."""
    session.add(record)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise IdempotencyInProgress() from exc


async def by_consent_receipt(session: AsyncSession, receipt_id: uuid.UUID) -> list[Referral]:
    """The referrals a consent receipt stands behind (one today: each referral brings its own receipt)."""
    rows = await session.scalars(
        select(Referral).where(Referral.consent_receipt_id == receipt_id).order_by(Referral.created_at)
    )
    return list(rows)


async def external_ref_exists(session: AsyncSession, external_ref_index: str) -> bool:
    found = await session.scalar(select(Referral.id).where(Referral.external_ref_index == external_ref_index))
    return found is not None


async def by_external_ref_index(session: AsyncSession, external_ref_index: str) -> Referral | None:
    found: Referral | None = await session.scalar(
        select(Referral).where(Referral.external_ref_index == external_ref_index)
    )
    return found


async def newest_by_phone(session: AsyncSession, phone_index: str, limit: int) -> list[Referral]:
    rows = await session.scalars(
        select(Referral)
        .where(Referral.phone_index == phone_index)
        .order_by(Referral.created_at.desc())
        .limit(limit)
    )
    return list(rows)


async def decision_versions(session: AsyncSession, referral_id: uuid.UUID) -> list[DecisionVersion]:
    rows = await session.scalars(
        select(DecisionVersion)
        .where(DecisionVersion.referral_id == referral_id)
        .order_by(DecisionVersion.version)
    )
    return list(rows)


async def add_decision_version(session: AsyncSession, version: DecisionVersion) -> DecisionVersion:
    session.add(version)
    await session.flush()
    return version
