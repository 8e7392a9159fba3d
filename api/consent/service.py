"""Consent: wordings, receipts, who may withdraw one, and reading a receipt.

Receipts are append-only (the database refuses UPDATE and DELETE on `consent_receipt`): a withdrawal is a new
receipt of kind `withdrawal` whose `supersedes_id` is the grant, and whose `purposes` are the purposes it
withdraws (all of the grant's). A grant recorded at first contact (api/intake/first_contact.py) supersedes
the receipt the case arrived with (the police feed's, or a safeguarding basis): the case is held on it from
then on (`grant_id_of`). The withdrawal and its cascade (referrals, queues, the SMS outbox) are
api/intake/withdrawal.py's; the rules about receipts are here.

Who may withdraw: an administrator, any receipt; an agency, the receipts of referrals it created; the bot
service, receipts given in a conversation it names (the person asks the bot in that conversation). Anyone
else, or a receipt that does not exist, gets the same 404.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import service as audit
from api.auth import Caller
from api.consent import repository
from api.consent.errors import ConsentNotFound
from api.consent.models import ConsentReceipt
from api.consent.schemas import ConsentDetail, ConsentRead, ReceiptKind, WordingRead
from api.encryption import case_keys
from api.kit.crypto import Vault
from api.principal.models import PrincipalKind
from api.referral import service as referral_service
from api.referral.models import Referral
from api.referral.service import referrer_aad

logger = logging.getLogger("api.consent")

WITHDRAWAL = ReceiptKind.withdrawal


@dataclass(frozen=True)
class Withdrawal:
    receipt: ConsentReceipt
    created: bool  # False when the grant was already withdrawn and this is that earlier withdrawal


def grant_id_of(receipt: ConsentReceipt) -> uuid.UUID:
    """The grant a receipt belongs to: a grant itself, a withdrawal's the one it withdraws. (A grant may
    supersede an earlier grant too: consent recorded at first contact supersedes the police feed's
    receipt. Its referrals and case key are its own, never the earlier one's.)"""
    if receipt.kind == WITHDRAWAL and receipt.supersedes_id is not None:
        return receipt.supersedes_id
    return receipt.id


def may_withdraw(
    caller: Caller, grant: ConsentReceipt, referrals: list[Referral], conversation_id: str | None
) -> bool:
    if caller.kind == PrincipalKind.admin:
        return True
    if caller.kind == PrincipalKind.agency:
        return bool(referrals) and all(r.created_by == caller.id for r in referrals)
    if caller.kind == PrincipalKind.bot:
        return (
            conversation_id is not None
            and grant.conversation_id == conversation_id
            and all(r.created_by is None for r in referrals)
        )
    return False


def withdrawal_channel(caller: Caller, grant: ConsentReceipt) -> str:
    """Where the withdrawal came from: the bot's conversation channel, or the principal that recorded it."""
    if caller.kind == PrincipalKind.bot:
        return grant.channel
    return str(caller.kind)


async def audit_receipt(
    session: AsyncSession, caller: Caller, action: str, referrals: list[Referral], reason: str
) -> None:
    """One event per referral the receipt stands behind (or one without a case when there is none)."""
    ids: list[uuid.UUID | None] = [r.id for r in referrals]
    for referral_id in ids or [None]:
        await audit.record(session, caller, action, referral_id, reason)


async def detail(session: AsyncSession, vault: Vault, caller: Caller, receipt_id: uuid.UUID) -> ConsentDetail:
    """A receipt with its wording texts, for an administrator. Reading it is audited like reading the case."""
    receipt = await repository.receipt(session, receipt_id)
    if receipt is None:
        raise ConsentNotFound()
    # A withdrawal stands beside its grant: the referrals are the grant's.
    referrals = await referral_service.by_consent_receipt(session, grant_id_of(receipt))
    referrer, erased = await open_referrer(session, vault, receipt, referrals)
    withdrawal = None if receipt.kind == WITHDRAWAL else await repository.withdrawal_of(session, receipt.id)
    await audit_receipt(session, caller, "consent.read", referrals, "admin read")
    return ConsentDetail(
        **ConsentRead.of(receipt).model_dump(),
        wordings=[
            WordingRead(version=w.version, key=w.key, language=w.language, text=w.text)
            for w in await repository.wordings(session, list(receipt.wording_versions))
        ],
        referrer=referrer,
        personal_data_erased=erased,
        referral_references=[r.reference for r in referrals],
        withdrawn_by_id=str(withdrawal.id) if withdrawal else None,
    )


async def open_referrer(
    session: AsyncSession, vault: Vault, receipt: ConsentReceipt, referrals: list[Referral]
) -> tuple[dict[str, Any] | None, bool]:
    """The receipt's referrer (None when it has none), opened with its case's key, and whether the case's
    personal data on it was erased.

    A withdrawal reads its grant's key. Once the case key is destroyed (disposal, erasure) the sealed bytes
    stay in the append-only receipt but nothing opens them: the answer is (None, True), never an error.
    A referrer sealed by the vault itself (a receipt stored before per-case keys, left unconverted) still
    opens with the vault while its referral exists."""
    found = await case_keys.for_receipt(session, vault, grant_id_of(receipt))
    if found is not None:
        if receipt.referrer_sealed is None:
            return None, False
        referral_id, key = found
        value: dict[str, Any] = case_keys.open_json(key, receipt.referrer_sealed, referrer_aad(referral_id))
        return value, False
    if receipt.referrer_sealed is not None and referrals and vault.cipher.knows(receipt.referrer_sealed):
        legacy: dict[str, Any] = vault.cipher.open_json(
            receipt.referrer_sealed, referrer_aad(referrals[0].id)
        )
        return legacy, False
    return None, True


async def register_wording(session: AsyncSession, version: str, key: str, language: str, text: str) -> None:
    """Keep the exact words a consent question showed, under their version (a no-op when known)."""
    await repository.register_wording(session, version, key, language, text)


async def all_known(session: AsyncSession, versions: list[str]) -> bool:
    """Whether every one of these wording versions was registered (shown by us)."""
    return await repository.known_versions(session, versions) == set(versions)


async def add_receipt(session: AsyncSession, receipt: ConsentReceipt) -> ConsentReceipt:
    return await repository.add_receipt(session, receipt)


async def receipt(
    session: AsyncSession, receipt_id: uuid.UUID, *, lock: bool = False
) -> ConsentReceipt | None:
    return await repository.receipt(session, receipt_id, lock=lock)


async def withdrawal_of(session: AsyncSession, grant_id: uuid.UUID) -> ConsentReceipt | None:
    return await repository.withdrawal_of(session, grant_id)


def withdrawal_for(caller: Caller, grant: ConsentReceipt, requested_by: str, now: datetime) -> ConsentReceipt:
    """The receipt that withdraws `grant` (all its purposes), as `caller` records it."""
    return ConsentReceipt(
        kind=WITHDRAWAL,
        supersedes_id=grant.id,
        lawful_basis=grant.lawful_basis,
        purposes=list(grant.purposes),
        wording_versions=[],
        language=grant.language,
        channel=withdrawal_channel(caller, grant),
        given_by=requested_by,
        given_at=now,
        conversation_id=grant.conversation_id,
    )
