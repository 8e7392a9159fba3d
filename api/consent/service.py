"""Consent withdrawal and reading a receipt.

Receipts are append-only (the database refuses UPDATE and DELETE on `consent_receipt`): a withdrawal is a new
receipt of kind `withdrawal` whose `supersedes_id` is the grant, and whose `purposes` are the purposes it
withdraws (all of the grant's). In the same transaction it cascades, one named step each:

1. every referral the grant stands behind gets `withdrawn_at`;
2. every queue entry of those referrals that is not closed becomes `withdrawn`, so the case leaves the
   providers' queues (and providers can no longer open it);
3. pending outbound messages to the person are cancelled (see `cancel_pending_outbound_messages`);
4. an audit event per referral records who withdrew, why (a reason code) and who asked.

Withdrawing an already withdrawn grant is idempotent: the existing withdrawal is returned unchanged (and the
repeat is audited). Retries over a bad mobile connection, or the bot and an agency both acting on the same
wish, must not fail or create a second record of one decision.

Who may withdraw: an administrator, any receipt; an agency, the receipts of referrals it created; the bot
service, receipts given in a conversation it names (the person asks the bot in that conversation). Anyone
else, or a receipt that does not exist, gets the same 404.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import service as audit
from api.auth import Caller
from api.consent import repository
from api.consent.errors import ConsentNotFound, ConsentNotWithdrawable
from api.consent.models import ConsentReceipt
from api.consent.schemas import ConsentDetail, ConsentRead, WithdrawalCreate, WordingRead
from api.kit.crypto import Vault
from api.kit.models import utcnow
from api.principal.models import PrincipalKind
from api.queue import repository as queue_repository
from api.referral import repository as referral_repository
from api.referral.models import Referral
from api.referral.service import referrer_aad
from api.sms import repository as sms_repository

logger = logging.getLogger("api.consent")

WITHDRAWAL = "withdrawal"


@dataclass(frozen=True)
class Withdrawal:
    receipt: ConsentReceipt
    created: bool  # False when the grant was already withdrawn and this is that earlier withdrawal


def _may_withdraw(
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


def _withdrawal_channel(caller: Caller, grant: ConsentReceipt) -> str:
    """Where the withdrawal came from: the bot's conversation channel, or the principal that recorded it."""
    if caller.kind == PrincipalKind.bot:
        return grant.channel
    return str(caller.kind)


async def _audit(
    session: AsyncSession, caller: Caller, action: str, referrals: list[Referral], reason: str
) -> None:
    """One event per referral the receipt stands behind (or one without a case when there is none)."""
    ids: list[uuid.UUID | None] = [r.id for r in referrals]
    for referral_id in ids or [None]:
        await audit.record(session, caller, action, referral_id, reason)


async def cancel_pending_outbound_messages(session: AsyncSession, referral: Referral) -> int:
    """Cascade step: stop every message still waiting to be sent to the person about this referral.

    The SMS outbox's messages not yet handed to Twilio, for the referral's conversation and for its phone
    number (by blind index), are cancelled in the withdrawal's transaction.
    """
    return await sms_repository.cancel_pending(session, referral.conversation_id, referral.phone_index)


async def withdraw(
    session: AsyncSession, caller: Caller, grant_id: uuid.UUID, body: WithdrawalCreate
) -> Withdrawal:
    grant = await repository.receipt(session, grant_id, lock=True)
    if grant is None:
        raise ConsentNotFound()
    referrals = await referral_repository.by_consent_receipt(session, grant.supersedes_id or grant.id)
    if not _may_withdraw(caller, grant, referrals, body.conversation_id):
        raise ConsentNotFound()
    if grant.kind == WITHDRAWAL:
        raise ConsentNotWithdrawable()
    reason = f"{body.reason};requested_by={body.requested_by}"

    earlier = await repository.withdrawal_of(session, grant.id)
    if earlier is not None:
        await _audit(session, caller, "consent.withdraw_repeated", referrals, reason)
        return Withdrawal(earlier, created=False)

    now = utcnow()
    withdrawal = await repository.add_receipt(
        session,
        ConsentReceipt(
            kind=WITHDRAWAL,
            supersedes_id=grant.id,
            lawful_basis=grant.lawful_basis,
            purposes=list(grant.purposes),
            wording_versions=[],
            language=grant.language,
            channel=_withdrawal_channel(caller, grant),
            given_by=str(body.requested_by),
            given_at=now,
            conversation_id=grant.conversation_id,
        ),
    )
    entries = cancelled = 0
    for referral in referrals:
        referral.withdrawn_at = now
        entries += await queue_repository.withdraw_open_entries(session, referral.id)
        cancelled += await cancel_pending_outbound_messages(session, referral)
    await _audit(session, caller, "consent.withdraw", referrals, reason)
    await session.flush()
    logger.info(
        "consent withdrawn",
        extra={
            "receipt_id": str(withdrawal.id),
            "referrals": len(referrals),
            "queue_entries_withdrawn": entries,
            "messages_cancelled": cancelled,
        },
    )
    return Withdrawal(withdrawal, created=True)


async def detail(session: AsyncSession, vault: Vault, caller: Caller, receipt_id: uuid.UUID) -> ConsentDetail:
    """A receipt with its wording texts, for an administrator. Reading it is audited like reading the case."""
    receipt = await repository.receipt(session, receipt_id)
    if receipt is None:
        raise ConsentNotFound()
    # A withdrawal stands beside its grant: the referrals are the grant's.
    referrals = await referral_repository.by_consent_receipt(session, receipt.supersedes_id or receipt.id)
    referrer = None
    if receipt.referrer_sealed is not None and referrals:
        referrer = vault.cipher.open_json(receipt.referrer_sealed, referrer_aad(referrals[0].id))
    withdrawal = None if receipt.kind == WITHDRAWAL else await repository.withdrawal_of(session, receipt.id)
    await _audit(session, caller, "consent.read", referrals, "admin read")
    return ConsentDetail(
        **ConsentRead.of(receipt).model_dump(),
        wordings=[
            WordingRead(version=w.version, key=w.key, language=w.language, text=w.text)
            for w in await repository.wordings(session, list(receipt.wording_versions))
        ],
        referrer=referrer,
        referral_references=[r.reference for r in referrals],
        withdrawn_by_id=str(withdrawal.id) if withdrawal else None,
    )
