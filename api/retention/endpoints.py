"""Legal hold, for administrators: PUT /v1/admin/retention/holds/{reference} sets one, POST …/release
lifts it. A held case is never disposed of."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import AdminCaller
from api.deps import AppSettings, Session
from api.errors import Forbidden, InvalidRequest, Unauthenticated, error_responses
from api.referral.errors import ReferralNotFound
from api.retention import service
from api.retention.schemas import HoldCreate, HoldRead, HoldRelease

router = APIRouter(prefix="/v1/admin/retention", tags=["admin"])


@router.put(
    "/holds/{reference}",
    response_model=HoldRead,
    responses=error_responses(Unauthenticated, Forbidden, ReferralNotFound, InvalidRequest),
)
async def set_hold(
    reference: str, body: HoldCreate, caller: AdminCaller, session: Session, settings: AppSettings
) -> HoldRead:
    """Keep the case from disposal whatever its retention says, for the reason given (audited)."""
    return await service.hold(session, settings, caller, reference, body.reason)


@router.post(
    "/holds/{reference}/release",
    response_model=HoldRead,
    responses=error_responses(Unauthenticated, Forbidden, ReferralNotFound, InvalidRequest),
)
async def release_hold(
    reference: str, body: HoldRelease, caller: AdminCaller, session: Session, settings: AppSettings
) -> HoldRead:
    """Lift the hold (audited): the case's retention applies again from the next disposal run."""
    return await service.release(session, settings, caller, reference, body.reason)
