"""`GET /v1/service/hours`: whether caseworkers are on duty now, when that changes, and the call-back times
the bot may offer. Public: opening hours are on the service's leaflets, and nothing here is about a case."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import public
from api.deps import (
    AppSettings,
)
from api.hours.schemas import ServiceHours
from api.hours.service import service_hours

router = APIRouter(prefix="/v1/service", tags=["service"])


@router.get(
    "/hours",
    response_model=ServiceHours,
    dependencies=[public("opening hours are public information; they say nothing about any case")],
)
async def read_hours(settings: AppSettings) -> ServiceHours:
    """Open now or not; the end of the current opening (if open) or the next opening (if closed, within
    60 days); and, while open, the call-back times on offer (`asap` first, then later today)."""
    return service_hours(settings)
