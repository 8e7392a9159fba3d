"""Provider queue endpoints: a caseworker sees and claims cases from their own queues only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import ProviderCaller
from api.db import session_dependency
from api.errors import Forbidden, InvalidRequest, Unauthenticated, error_responses
from api.queue import service
from api.queue.errors import QueueEmpty, QueueForbidden
from api.queue.schemas import ClaimedCase, QueueList, QueueName

router = APIRouter(prefix="/v1/queues", tags=["provider queues"])
Session = Annotated[AsyncSession, Depends(session_dependency)]


@router.get(
    "/{queue}/cases",
    response_model=QueueList,
    responses=error_responses(Unauthenticated, Forbidden, QueueForbidden, InvalidRequest),
)
async def list_cases(
    queue: QueueName,
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
    queue: QueueName, caller: ProviderCaller, session: Session, request: Request
) -> ClaimedCase:
    return await service.claim(
        session, request.app.state.vault, caller, queue, request.app.state.settings.queue_lease_seconds
    )
