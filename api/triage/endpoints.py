"""POST /v1/triage/evaluate — the triage rules as a service. Stores nothing."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import AnyCaller
from api.triage import TriageDecision, TriageInput, evaluate

router = APIRouter(prefix="/v1/triage", tags=["triage"])


@router.post("/evaluate", response_model=TriageDecision)
async def evaluate_triage(body: TriageInput, _caller: AnyCaller) -> TriageDecision:
    return evaluate(body)
