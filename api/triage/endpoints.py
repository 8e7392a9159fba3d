"""POST /v1/triage/evaluate — the triage rules as a service. Stores nothing."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import AnyCaller
from api.errors import Forbidden, InvalidRequest, Unauthenticated, error_responses
from api.triage import TriageDecision, TriageInput, evaluate

router = APIRouter(prefix="/v1/triage", tags=["triage"])


@router.post(
    "/evaluate",
    response_model=TriageDecision,
    responses=error_responses(Unauthenticated, Forbidden, InvalidRequest),
)
async def evaluate_triage(body: TriageInput, _caller: AnyCaller) -> TriageDecision:
    return evaluate(body)
