"""All SQL of the phone checks."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.kit.sql import lock_rows
from api.phone_check.models import CheckState, PhoneCheck


async def checks_of(session: AsyncSession, referral_id: uuid.UUID) -> list[PhoneCheck]:
    found = await session.scalars(
        select(PhoneCheck).where(PhoneCheck.referral_id == referral_id).order_by(PhoneCheck.created_at)
    )
    return list(found)


async def open_check(session: AsyncSession, referral_id: uuid.UUID) -> PhoneCheck | None:
    """The code waiting to be typed (the newest sent one), locked."""
    stmt = (
        select(PhoneCheck)
        .where(PhoneCheck.referral_id == referral_id, PhoneCheck.state == CheckState.sent)
        .order_by(PhoneCheck.created_at.desc())
        .limit(1)
    )
    return await session.scalar(lock_rows(session, stmt))
