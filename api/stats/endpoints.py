"""GET /v1/admin/stats — commissioner figures from the anonymous counters (they outlive disposal)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.auth import AdminCaller
from api.deps import Session
from api.errors import Forbidden, InvalidRequest, Unauthenticated, error_responses
from api.stats import service
from api.stats.schemas import Totals

router = APIRouter(prefix="/v1/admin/stats", tags=["admin"])

Dimension = Literal[
    "source", "channel", "language", "queue", "tier", "priority", "outcome", "age_band", "hate_strand", "area"
]


@router.get("", response_model=Totals, responses=error_responses(Unauthenticated, Forbidden, InvalidRequest))
async def totals(
    _caller: AdminCaller,
    session: Session,
    event: service.Event = service.Event.made,
    by: Dimension = "queue",
    start: Annotated[date | None, Query(description="first London day, inclusive")] = None,
    end: Annotated[date | None, Query(description="last London day, inclusive")] = None,
) -> Totals:
    """How many referrals were made (taken up, closed, withdrawn) between two days, by one category."""
    counts = await service.totals(session, event=event, by=by, start=start, end=end)
    return Totals(event=event, by=by, start=start, end=end, counts=counts)
