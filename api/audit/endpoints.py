"""GET /v1/admin/audit/verify — an administrator checks the audit chain is intact."""

from __future__ import annotations

from fastapi import APIRouter

from api.audit import service
from api.audit.schemas import ChainVerification
from api.auth import AdminCaller
from api.deps import (
    Session,
)
from api.errors import Forbidden, Unauthenticated, error_responses

router = APIRouter(prefix="/v1/admin/audit", tags=["admin"])


@router.get(
    "/verify", response_model=ChainVerification, responses=error_responses(Unauthenticated, Forbidden)
)
async def verify_chain(_caller: AdminCaller, session: Session) -> ChainVerification:
    """Recompute every event's hash from the first. A broken chain is reported (`ok` false), not an error."""
    report = await service.verify(session)
    return ChainVerification(ok=report.ok, events=report.events, first_broken_seq=report.first_broken_seq)
