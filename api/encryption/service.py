"""Key rotation: re-seal stored personal fields under the newest key of ENCRYPTION_KEYS.

How to rotate:

1. `python -m api keys generate` prints a new key. Put it first in ENCRYPTION_KEYS, keeping the old keys
   after it (`NEW,OLD`), and restart every api and worker process: new values are now sealed with NEW and
   old ones still open.
2. `python -m api keys rotate` re-seals every value not yet under NEW, in batches of one transaction each.
   It is idempotent (a value already under the newest key is skipped) and safe to run while the api serves:
   each value is replaced only if it is still the one that was read.
3. Remove OLD from ENCRYPTION_KEYS only when the report says `older_keys_still_needed: false`.

Consent receipts are append-only: the database refuses every UPDATE of `consent_receipt`, and that refusal
is the receipt's guarantee, so rotation does not touch `consent_receipt.referrer_sealed`. It counts the
referrer values still under an older key; while there are any, the older keys must stay in the ring (the
report says so). Letting rotation re-seal them needs a migration that narrows the trigger to allow an UPDATE
of `referrer_sealed` alone; see the README.
"""

from __future__ import annotations

import base64
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import LargeBinary, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.audit import service as audit
from api.auth import Caller
from api.consent.models import ConsentReceipt
from api.kit.crypto import DecryptionError, FieldCipher
from api.referral.models import Referral
from api.referral.service import answers_aad, person_aad

logger = logging.getLogger("api.encryption")

DEFAULT_BATCH = 500


def generate_key() -> str:
    """A new 32-byte AES-256 key, urlsafe base64, for ENCRYPTION_KEYS."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


@dataclass
class ColumnReport:
    rotated: int = 0
    already_newest: int = 0
    # Changed by the api between our read and our write: left alone, picked up by the next run.
    changed_meanwhile: int = 0
    # Sealed with a key that is not in the ring (or altered): cannot be re-sealed; needs attention.
    unreadable: int = 0


@dataclass
class RotationReport:
    columns: dict[str, ColumnReport] = field(default_factory=dict)
    kept_under_older_keys: dict[str, int] = field(default_factory=dict)

    @property
    def older_keys_still_needed(self) -> bool:
        pending = any(c.changed_meanwhile or c.unreadable for c in self.columns.values())
        return pending or any(self.kept_under_older_keys.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "rotated": {name: vars(report) for name, report in self.columns.items()},
            "kept_under_older_keys": self.kept_under_older_keys,
            "older_keys_still_needed": self.older_keys_still_needed,
        }


# The referral's sealed columns and the associated data each is bound to.
REFERRAL_COLUMNS: dict[str, Callable[[uuid.UUID], str]] = {
    "person_sealed": person_aad,
    "answers_sealed": answers_aad,
}


async def _rotate_referral_batch(
    session: AsyncSession, cipher: FieldCipher, after: uuid.UUID | None, batch: int, report: RotationReport
) -> uuid.UUID | None:
    """One batch of referrals, in the caller's transaction. Returns the last id seen, None when done."""
    stmt = (
        select(Referral.id, Referral.person_sealed, Referral.answers_sealed)
        .order_by(Referral.id)
        .limit(batch)
    )
    if after is not None:
        stmt = stmt.where(Referral.id > after)
    rows = (await session.execute(stmt)).all()
    for row in rows:
        for column, aad_of in REFERRAL_COLUMNS.items():
            counts = report.columns[f"referral.{column}"]
            sealed: bytes = getattr(row, column)
            if cipher.sealed_with_newest(sealed):
                counts.already_newest += 1
                continue
            aad = aad_of(row.id).encode()
            try:
                resealed = cipher.seal(cipher.open(sealed, aad), aad)
            except DecryptionError:
                counts.unreadable += 1
                continue
            attribute = getattr(Referral, column)
            result = await session.execute(
                update(Referral)
                .where(Referral.id == row.id, attribute == sealed)
                .values({column: resealed})
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) == 1:
                counts.rotated += 1
            else:
                counts.changed_meanwhile += 1
    return rows[-1].id if rows else None


async def _count_receipts_under_older_keys(session: AsyncSession, cipher: FieldCipher) -> int:
    newest = cipher.newest_key_id
    # Bytes 2–5 of a sealed value are its key id (see api.kit.crypto); substr counts from 1 on both dialects.
    count = await session.scalar(
        select(func.count())
        .select_from(ConsentReceipt)
        .where(
            ConsentReceipt.referrer_sealed.is_not(None),
            func.substr(ConsentReceipt.referrer_sealed, 2, 4, type_=LargeBinary) != newest,
        )
    )
    return int(count or 0)


async def rotate(
    sessionmaker: async_sessionmaker[AsyncSession],
    cipher: FieldCipher,
    operator: Caller,
    batch: int = DEFAULT_BATCH,
) -> RotationReport:
    report = RotationReport(columns={f"referral.{column}": ColumnReport() for column in REFERRAL_COLUMNS})
    after: uuid.UUID | None = None
    while True:
        async with sessionmaker() as session, session.begin():
            last = await _rotate_referral_batch(session, cipher, after, batch, report)
        if last is None:
            break
        after = last
    async with sessionmaker() as session, session.begin():
        report.kept_under_older_keys[
            "consent_receipt.referrer_sealed"
        ] = await _count_receipts_under_older_keys(session, cipher)
        rotated = sum(c.rotated for c in report.columns.values())
        await audit.record(session, operator, "keys.rotate", None, f"rotated={rotated}")
    logger.info(
        "key rotation",
        extra={
            "rotated": rotated,
            "older_keys_still_needed": report.older_keys_still_needed,
        },
    )
    return report
