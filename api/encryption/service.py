"""Key rotation: re-seal every stored sealed value under the newest key of ENCRYPTION_KEYS.

Covered (SEALED_COLUMNS): the referral's person, answers, triage input, decision and crime reference; the
wrapped per-case keys (api/encryption/case_keys.py); the SMS contact's number and the inbound and outbound
message bodies (one SMS that no longer opens stops its conversation, so they are rotated like the rest);
the console's TOTP secrets (`account.totp_sealed`: a secret that no longer opens locks its person out) and
the notes, contact attempts and first contacts on cases (`case_activity.text_sealed`).
Each column is walked by its key in batches of one transaction each.

How to rotate:

1. `python -m api keys generate` prints a new key. Put it first in ENCRYPTION_KEYS, keeping the old keys
   after it (`NEW,OLD`), and restart every api and worker process: new values are now sealed with NEW and
   old ones still open.
2. `python -m api keys rotate` re-seals every value not yet under NEW, in batches of one transaction each.
   It is idempotent (a value already under the newest key is skipped) and safe to run while the api serves:
   each value is replaced only if it is still the one that was read.
3. Remove OLD from ENCRYPTION_KEYS only when the report says `older_keys_still_needed: false`.

Consent receipts are append-only: the database refuses every UPDATE of `consent_receipt`, so rotation
never touches `consent_receipt.referrer_sealed`. It does not need to: the referrer is sealed with its case's
own key, and that key (wrapped by the vault in `case_key`) is what rotation re-seals. It still counts
referrer values sealed by a vault key rather than a case key (none after the migration
`2026-12-07-0100_seal_special_category`, which gave every existing receipt a case key); while there are
any under an older key, the older keys must stay in the ring (the report says so).
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import LargeBinary, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.accounts.models import Account
from api.accounts.service import totp_aad
from api.audit import service as audit
from api.auth import Caller
from api.consent.models import ConsentReceipt
from api.encryption.case_keys import case_key_aad
from api.encryption.models import CaseKey
from api.kit.crypto import DecryptionError, FieldCipher
from api.queue.activity import text_aad
from api.queue.models import CaseActivity
from api.referral.models import Referral
from api.referral.service import (
    answers_aad,
    decision_aad,
    external_ref_aad,
    person_aad,
    triage_input_aad,
)
from api.sms.identity import contact_aad, inbound_aad, outbound_aad
from api.sms.models import SmsContact, SmsInbound, SmsOutbound

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


@dataclass(frozen=True)
class SealedColumn:
    """One sealed column: its table's key (walked in order, in batches), the column, and how its associated
    data is made from the row (`context`: the columns the associated data needs)."""

    name: str
    model: type[Any]
    key: str
    column: str
    context: tuple[str, ...]
    aad: Callable[..., str]


# Every column sealed by the vault. Values sealed with a per-case key (the consent receipt's referrer) are
# not here: their case keys are (`case_key.wrapped`), so the receipts never need re-sealing.
SEALED_COLUMNS: tuple[SealedColumn, ...] = (
    SealedColumn("referral.person_sealed", Referral, "id", "person_sealed", ("id",), person_aad),
    SealedColumn("referral.answers_sealed", Referral, "id", "answers_sealed", ("id",), answers_aad),
    SealedColumn(
        "referral.triage_input_sealed", Referral, "id", "triage_input_sealed", ("id",), triage_input_aad
    ),
    SealedColumn("referral.decision_sealed", Referral, "id", "decision_sealed", ("id",), decision_aad),
    SealedColumn(
        "referral.external_ref_sealed", Referral, "id", "external_ref_sealed", ("id",), external_ref_aad
    ),
    SealedColumn("case_key.wrapped", CaseKey, "referral_id", "wrapped", ("referral_id",), case_key_aad),
    SealedColumn(
        "sms_contact.phone_sealed",
        SmsContact,
        "conversation_id",
        "phone_sealed",
        ("conversation_id",),
        contact_aad,
    ),
    SealedColumn("sms_inbound.body_sealed", SmsInbound, "id", "body_sealed", ("message_sid",), inbound_aad),
    SealedColumn("sms_outbound.body_sealed", SmsOutbound, "id", "body_sealed", ("id",), outbound_aad),
    SealedColumn("account.totp_sealed", Account, "id", "totp_sealed", ("id",), totp_aad),
    SealedColumn(
        "case_activity.text_sealed", CaseActivity, "id", "text_sealed", ("id", "referral_id"), text_aad
    ),
)


async def _rotate_batch(
    session: AsyncSession,
    cipher: FieldCipher,
    spec: SealedColumn,
    after: Any,
    batch: int,
    counts: ColumnReport,
) -> Any:
    """One batch of one column, in the caller's transaction. Returns the last key seen, None when done."""
    key = getattr(spec.model, spec.key)
    attribute = getattr(spec.model, spec.column)
    context = [getattr(spec.model, name) for name in spec.context if name != spec.key]
    stmt = (
        select(key.label("key"), attribute.label("sealed"), *context)
        .where(attribute.is_not(None))
        .order_by(key)
        .limit(batch)
    )
    if after is not None:
        stmt = stmt.where(key > after)
    rows = (await session.execute(stmt)).all()
    for row in rows:
        sealed: bytes = row.sealed
        if cipher.sealed_with_newest(sealed):
            counts.already_newest += 1
            continue
        values = {name: (row.key if name == spec.key else getattr(row, name)) for name in spec.context}
        aad = spec.aad(*values.values()).encode()
        try:
            resealed = cipher.seal(cipher.open(sealed, aad), aad)
        except DecryptionError:
            counts.unreadable += 1
            continue
        result = await session.execute(
            update(spec.model)
            .where(key == row.key, attribute == sealed)
            .values({spec.column: resealed})
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) == 1:
            counts.rotated += 1
        else:
            counts.changed_meanwhile += 1
    return rows[-1].key if rows else None


async def _count_receipts_under_older_keys(session: AsyncSession, cipher: FieldCipher) -> int:
    """Referrers sealed by an older vault key (not by a case key: those never need the vault's keys)."""
    older = cipher.older_key_ids
    if not older:
        return 0
    # Bytes 2–5 of a sealed value are its key id (see api.kit.crypto); substr counts from 1 on both dialects.
    count = await session.scalar(
        select(func.count())
        .select_from(ConsentReceipt)
        .where(
            ConsentReceipt.referrer_sealed.is_not(None),
            func.substr(ConsentReceipt.referrer_sealed, 2, 4, type_=LargeBinary).in_(older),
        )
    )
    return int(count or 0)


async def rotate(
    sessionmaker: async_sessionmaker[AsyncSession],
    cipher: FieldCipher,
    operator: Caller,
    batch: int = DEFAULT_BATCH,
) -> RotationReport:
    report = RotationReport(columns={spec.name: ColumnReport() for spec in SEALED_COLUMNS})
    for spec in SEALED_COLUMNS:
        after: Any = None
        while True:
            async with sessionmaker() as session, session.begin():
                last = await _rotate_batch(session, cipher, spec, after, batch, report.columns[spec.name])
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
