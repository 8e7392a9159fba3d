"""Legal hold: an administrator keeps a case from disposal (and from erasure) with a reason code; set and
released in the request's transaction, audited (the code only). Services flush; the caller commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import service as audit
from api.auth import Caller
from api.config import Settings
from api.kit.models import utcnow
from api.referral import service as referral_service
from api.referral.errors import ReferralNotFound
from api.referral.models import Referral
from api.retention import policy
from api.retention.schemas import HoldRead, HoldReason


def is_held(referral: Referral) -> bool:
    return referral.legal_hold_at is not None


def read(settings: Settings, referral: Referral) -> HoldRead:
    return HoldRead(
        reference=referral.reference,
        held=is_held(referral),
        reason=referral.legal_hold_reason,
        held_at=referral.legal_hold_at,
        retention_class=referral.retention_class,
        dispose_after=policy.dispose_after(settings, referral.retention_class, referral.retention_from),
    )


async def _referral(session: AsyncSession, reference: str) -> Referral:
    referral = await referral_service.by_reference(session, reference, lock=True)
    if referral is None:
        raise ReferralNotFound()
    return referral


async def hold(
    session: AsyncSession,
    settings: Settings,
    caller: Caller,
    reference: str,
    reason: HoldReason,
    now: datetime | None = None,
) -> HoldRead:
    """Put a case on legal hold (again: the reason is replaced, the first moment kept)."""
    referral = await _referral(session, reference)
    referral.legal_hold_at = referral.legal_hold_at or (now or utcnow())
    referral.legal_hold_reason = str(reason)
    await session.flush()
    await audit.record(session, caller, "retention.hold", referral.id, f"reason={reason}")
    return read(settings, referral)


async def release(
    session: AsyncSession, settings: Settings, caller: Caller, reference: str, reason: HoldReason
) -> HoldRead:
    """Release a hold: the case's retention applies again (a case already past it goes at the next run)."""
    referral = await _referral(session, reference)
    was = is_held(referral)
    referral.legal_hold_at = None
    referral.legal_hold_reason = None
    await session.flush()
    await audit.record(session, caller, "retention.release", referral.id, f"reason={reason} was_held={was}")
    return read(settings, referral)
