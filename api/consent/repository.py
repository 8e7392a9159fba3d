"""All SQL of consent: wordings and receipts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.consent.models import ConsentReceipt, ConsentWording
from api.kit.models import utcnow
from api.kit.sql import insert_ignoring_duplicates


async def register_wording(session: AsyncSession, version: str, key: str, language: str, text: str) -> None:
    values = {"version": version, "key": key, "language": language, "text": text, "created_at": utcnow()}
    await insert_ignoring_duplicates(session, ConsentWording, values)


async def known_versions(session: AsyncSession, versions: list[str]) -> set[str]:
    rows = await session.scalars(select(ConsentWording.version).where(ConsentWording.version.in_(versions)))
    return set(rows)


async def add_receipt(session: AsyncSession, receipt: ConsentReceipt) -> ConsentReceipt:
    session.add(receipt)
    await session.flush()
    return receipt
