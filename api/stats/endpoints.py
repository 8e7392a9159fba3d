"""GET /v1/admin/stats — commissioner figures from the anonymous counters (they outlive disposal)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BeforeValidator

from api.auth import AdminCaller
from api.deps import Session
from api.errors import Forbidden, InvalidRequest, Unauthenticated, error_responses
from api.stats import service
from api.stats.schemas import Totals

router = APIRouter(prefix="/v1/admin/stats", tags=["admin"])

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value: Any) -> Any:
    """Only YYYY-MM-DD: pydantic would otherwise read "0" as a Unix timestamp."""
    if isinstance(value, str) and not _ISO_DAY.fullmatch(value):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_day)]

Dimension = Literal[
    "source", "channel", "language", "queue", "tier", "priority", "outcome", "age_band", "hate_strand", "area"
]


@router.get("", response_model=Totals, responses=error_responses(Unauthenticated, Forbidden, InvalidRequest))
async def totals(
    _caller: AdminCaller,
    session: Session,
    event: service.Event = service.Event.made,
    by: Dimension = "queue",
    start: Annotated[Day | None, Query(description="first London day, inclusive")] = None,
    end: Annotated[Day | None, Query(description="last London day, inclusive")] = None,
) -> Totals:
    """How many referrals were made (taken up, closed, withdrawn) between two days, by one category."""
    counts = await service.totals(session, event=event, by=by, start=start, end=end)
    return Totals(event=event, by=by, start=start, end=end, counts=counts)
