"""Per-case data keys: crypto-shredding for what must not be updated or deleted (consent receipts).

A consent receipt is append-only (the database refuses UPDATE and DELETE), yet disposal and erasure must
make the person unreadable in it. So the receipt's personal field (`referrer_sealed`: the agency worker who
attested consent) is sealed with a key of its own case, a random 32-byte key made when the case is stored
and kept wrapped (sealed by the vault, bound to the case) in `case_key`. `destroy` deletes that row: the
receipt stays byte for byte as it was, and its referrer can never be opened again. A withdrawal receipt
holds nothing personal of its own (it copies no referrer) and reads its grant's key.

Key rotation re-wraps the keys under the newest vault key (api/encryption/service.py); the receipts never
need re-sealing, so the append-only rule holds through rotation too.

Personal data on a receipt, and why only the referrer is sealed: `given_by` is a role code, `language`,
`channel`, `purposes`, wording versions and times are not about the person; `conversation_id` is an
unguessable token (web chat) or a keyed hash of the number (SMS) that the bot's withdrawal check compares in
clear; once the conversation, the referral and the tracker are disposed of it names nothing that is kept.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.encryption.models import CaseKey
from api.kit.crypto import FieldCipher, Vault

KEY_BYTES = 32


def case_key_aad(referral_id: uuid.UUID) -> str:
    return f"case_key:{referral_id}"


def new_key() -> bytes:
    return os.urandom(KEY_BYTES)


def wrap(vault: Vault, referral_id: uuid.UUID, key: bytes) -> bytes:
    return vault.cipher.seal(key, case_key_aad(referral_id).encode())


def unwrap(vault: Vault, row: CaseKey) -> bytes:
    return vault.cipher.open(row.wrapped, case_key_aad(row.referral_id).encode())


def cipher_of(key: bytes) -> FieldCipher:
    return FieldCipher([key])


async def create(
    session: AsyncSession, vault: Vault, referral_id: uuid.UUID, consent_receipt_id: uuid.UUID
) -> bytes:
    """Make and store (wrapped) the key of a new case; returns it in clear for sealing. Flushes nothing:
    the caller's transaction stores it with the case."""
    key = new_key()
    session.add(
        CaseKey(
            referral_id=referral_id,
            consent_receipt_id=consent_receipt_id,
            wrapped=wrap(vault, referral_id, key),
        )
    )
    return key


async def for_receipt(
    session: AsyncSession, vault: Vault, grant_id: uuid.UUID
) -> tuple[uuid.UUID, bytes] | None:
    """The case (referral id) and key a grant receipt's personal fields are sealed with; None once destroyed
    (or for a receipt stored before per-case keys, which the migration gave keys to)."""
    row = await session.scalar(
        select(CaseKey).where(CaseKey.consent_receipt_id == grant_id).order_by(CaseKey.created_at).limit(1)
    )
    if row is None:
        return None
    return row.referral_id, unwrap(vault, row)


async def rebind(session: AsyncSession, referral_id: uuid.UUID, consent_receipt_id: uuid.UUID) -> bool:
    """The case is now held on another grant (consent recorded at first contact supersedes the police
    feed's receipt): its key is found by that grant from now on. The key itself is unchanged, so what it
    sealed still opens. False when the case has no key (destroyed)."""
    row = await session.get(CaseKey, referral_id)
    if row is None:
        return False
    row.consent_receipt_id = consent_receipt_id
    await session.flush()
    return True


async def exists(session: AsyncSession, referral_id: uuid.UUID) -> bool:
    return await session.get(CaseKey, referral_id) is not None


async def destroy(session: AsyncSession, referral_id: uuid.UUID) -> bool:
    """Delete the case's key: everything sealed with it (the consent receipt's referrer) is unreadable from
    now on. True when a key was destroyed, False when there was none (already destroyed: idempotent). In the
    caller's transaction; the caller commits (and audits)."""
    return bool(await destroy_many(session, [referral_id]))


async def destroy_many(session: AsyncSession, referral_ids: Sequence[uuid.UUID]) -> int:
    """`destroy` for many cases in one statement (disposal's batches): how many keys were destroyed. Cases
    whose key is already gone count nothing (idempotent)."""
    if not referral_ids:
        return 0
    result = await session.execute(
        delete(CaseKey)
        .where(CaseKey.referral_id.in_(list(referral_ids)))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def seal_json(key: bytes, value: Any, aad: str) -> bytes:
    return cipher_of(key).seal_json(value, aad)


def open_json(key: bytes, sealed: bytes, aad: str) -> Any:
    return cipher_of(key).open_json(sealed, aad)
