"""All SQL of consent: wordings and receipts."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.consent.models import ConsentReceipt, ConsentWording
from api.consent.schemas import ReceiptKind
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


async def receipt(
    session: AsyncSession, receipt_id: uuid.UUID, *, lock: bool = False
) -> ConsentReceipt | None:
    """One receipt; with `lock`, its row is held until the transaction ends, serialising withdrawals of it.

    `FOR UPDATE` on PostgreSQL; SQLite has no row locks and SQLAlchemy leaves the clause out there, where
    every transaction already holds the write lock from its start (`BEGIN IMMEDIATE`, api/db.py).
    """
    stmt = select(ConsentReceipt).where(ConsentReceipt.id == receipt_id)
    result: ConsentReceipt | None = await session.scalar(stmt.with_for_update() if lock else stmt)
    return result


async def withdrawal_of(session: AsyncSession, grant_id: uuid.UUID) -> ConsentReceipt | None:
    result: ConsentReceipt | None = await session.scalar(
        select(ConsentReceipt)
        .where(ConsentReceipt.supersedes_id == grant_id, ConsentReceipt.kind == ReceiptKind.withdrawal)
        .order_by(ConsentReceipt.created_at)
        .limit(1)
    )
    return result


async def wordings(session: AsyncSession, versions: list[str]) -> list[ConsentWording]:
    rows = await session.scalars(select(ConsentWording).where(ConsentWording.version.in_(versions)))
    found = {w.version: w for w in rows}
    return [found[v] for v in versions if v in found]
