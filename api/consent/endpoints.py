"""Consent endpoints: withdraw a receipt (the bot, the referring agency, an admin); read one (admin)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response

from api.auth import AdminCaller, Caller, allow
from api.consent import service
from api.consent.errors import ConsentNotFound, ConsentNotWithdrawable
from api.consent.schemas import ConsentDetail, ConsentRead, WithdrawalCreate
from api.deps import AppVault, Session
from api.errors import Forbidden, InvalidRequest, Unauthenticated, error_responses
from api.intake import service as intake
from api.principal.models import PrincipalKind

router = APIRouter(prefix="/v1/consents", tags=["consent"])
WithdrawerCaller = Annotated[Caller, allow(PrincipalKind.bot, PrincipalKind.agency, PrincipalKind.admin)]


@router.post(
    "/{consent_id}/withdraw",
    status_code=201,
    response_model=ConsentRead,
    responses={
        200: {"description": "Already withdrawn: the earlier withdrawal, unchanged", "model": ConsentRead},
        **error_responses(
            Unauthenticated, Forbidden, ConsentNotFound, ConsentNotWithdrawable, InvalidRequest
        ),
    },
)
async def withdraw_consent(
    consent_id: uuid.UUID, body: WithdrawalCreate, caller: WithdrawerCaller, session: Session
) -> Response:
    """Withdraw a consent grant: a new `withdrawal` receipt superseding it, in one transaction with the
    cascade (the case leaves every provider queue, pending messages are cancelled, the withdrawal is audited).

    The bot service must name the conversation the grant was given in; an agency may withdraw only for
    referrals it made. Withdrawing again returns the first withdrawal with 200.
    """
    result = await intake.withdraw(session, caller, consent_id, body)
    return Response(
        ConsentRead.of(result.receipt).model_dump_json(),
        201 if result.created else 200,
        media_type="application/json",
    )


@router.get(
    "/{consent_id}",
    response_model=ConsentDetail,
    responses=error_responses(Unauthenticated, Forbidden, ConsentNotFound, InvalidRequest),
)
async def read_consent(
    consent_id: uuid.UUID, caller: AdminCaller, session: Session, vault: AppVault
) -> ConsentDetail:
    """A receipt with the exact texts it points at and the referrer who attested it."""
    return await service.detail(session, vault, caller, consent_id)
