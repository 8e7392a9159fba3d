"""Provider queue endpoints: a caseworker sees and claims cases from their own queues only."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import ProviderCaller
from api.deps import (
    AppSettings,
    AppVault,
    Session,
)
from api.errors import Forbidden, InvalidRequest, Unauthenticated, error_responses
from api.queue import service
from api.queue.errors import (
    CaseHeldByAnother,
    CaseNotFound,
    InvalidTransition,
    LeaseLapsed,
    QueueEmpty,
    QueueForbidden,
)
from api.queue.schemas import CaseState, ClaimedCase, CloseCase, QueueList, ReturnToTriage
from api.triage.schemas import Queue

router = APIRouter(prefix="/v1/queues", tags=["provider queues"])


@router.get(
    "/{queue}/cases",
    response_model=QueueList,
    responses=error_responses(Unauthenticated, Forbidden, QueueForbidden, InvalidRequest),
)
async def list_cases(
    queue: Queue,
    caller: ProviderCaller,
    session: Session,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> QueueList:
    return await service.list_queue(session, caller, queue, limit, offset)


@router.post(
    "/{queue}/claim",
    response_model=ClaimedCase,
    responses=error_responses(Unauthenticated, Forbidden, QueueForbidden, QueueEmpty, InvalidRequest),
)
async def claim_next(
    queue: Queue, caller: ProviderCaller, session: Session, vault: AppVault, settings: AppSettings
) -> ClaimedCase:
    return await service.claim(session, vault, caller, queue, settings.queue_lease_seconds)


# Every transition acts on one entry of the caller's queue and may meet the same errors.
TRANSITION_ERRORS = error_responses(
    Unauthenticated,
    Forbidden,
    QueueForbidden,
    CaseNotFound,
    InvalidTransition,
    CaseHeldByAnother,
    LeaseLapsed,
    InvalidRequest,
)


@router.post("/{queue}/cases/{entry_id}/accept", response_model=CaseState, responses=TRANSITION_ERRORS)
async def accept_case(
    queue: Queue, entry_id: uuid.UUID, caller: ProviderCaller, session: Session
) -> CaseState:
    """Take on a claimed case. Only the lease holder, while the lease runs; the lease ends here."""
    return await service.accept(session, caller, queue, entry_id)


@router.post("/{queue}/cases/{entry_id}/extend-lease", response_model=CaseState, responses=TRANSITION_ERRORS)
async def extend_lease(
    queue: Queue, entry_id: uuid.UUID, caller: ProviderCaller, session: Session, settings: AppSettings
) -> CaseState:
    """A fresh lease from now. Only the lease holder, and only before the lease runs out."""
    return await service.extend_lease(session, caller, queue, entry_id, settings.queue_lease_seconds)


@router.post("/{queue}/cases/{entry_id}/return", response_model=CaseState, responses=TRANSITION_ERRORS)
async def return_to_triage(
    queue: Queue, entry_id: uuid.UUID, payload: ReturnToTriage, caller: ProviderCaller, session: Session
) -> CaseState:
    """Hand a claimed or accepted case back to triage with a reason; it leaves this queue.

    The optional note is kept unencrypted beside the reason: no names, contact details or other personal
    data (contact details are refused with 422).
    """
    return await service.return_to_triage(session, caller, queue, entry_id, payload)


@router.post("/{queue}/cases/{entry_id}/close", response_model=CaseState, responses=TRANSITION_ERRORS)
async def close_case(
    queue: Queue, entry_id: uuid.UUID, payload: CloseCase, caller: ProviderCaller, session: Session
) -> CaseState:
    """Close an accepted case with its outcome. Only the caseworker who accepted it."""
    return await service.close(session, caller, queue, entry_id, payload.outcome)
