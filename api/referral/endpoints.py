"""Referral endpoints: the bot and agencies create; those allowed read."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import Response

from api.auth import Caller, CaseReaderCaller, ReferrerCaller, allow
from api.deps import AppSettings, AppVault, Session
from api.errors import Forbidden, InvalidRequest, Unauthenticated, error_responses
from api.intake import service as intake
from api.principal.models import PrincipalKind
from api.referral import repository, service
from api.referral.errors import (
    CallbackUnavailable,
    ConsentGiverInvalid,
    ConsentRequired,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    InvalidAnswers,
    ReferralNotFound,
    SafeguardingRoleRequired,
    UnknownConsentWording,
)
from api.referral.models import IdempotencyRecord
from api.referral.schemas import CallbackCreate, ReferralCreate, ReferralDetail, ReferralRead, UrgentCreate

router = APIRouter(prefix="/v1/referrals", tags=["referrals"])
# Who may make a case urgent or ask for a call-back: the bot (for the conversation's own case) and an admin.
UrgentCaller = Annotated[Caller, allow(PrincipalKind.bot, PrincipalKind.admin)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        min_length=8,
        description="Any unique string per referral (a UUID will do): a retry with the same key and body "
        "returns the first answer and creates nothing.",
        examples=["4f6c1c1e-8a8e-4a55-9a57-1d4b2f0c2f11"],
    ),
]
Reference = Annotated[
    str,
    Path(
        pattern=r"^SR-[0-9A-Z]{4}-[0-9A-Z]{4}$",
        description="The referral's reference, as given when it was created.",
        examples=["SR-2345-6789"],
    ),
]


@router.post(
    "",
    status_code=201,
    response_model=ReferralRead,
    responses={
        200: {"description": "Nothing kept (no consent to store); the decision only", "model": ReferralRead},
        **error_responses(
            Unauthenticated,
            Forbidden,
            InvalidRequest,
            ConsentRequired,
            InvalidAnswers,
            SafeguardingRoleRequired,
            ConsentGiverInvalid,
            UnknownConsentWording,
            IdempotencyKeyReused,
            IdempotencyInProgress,
        ),
    },
)
async def create_referral(
    payload: ReferralCreate,
    request: Request,
    caller: ReferrerCaller,
    session: Session,
    settings: AppSettings,
    vault: AppVault,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Evaluate triage and store the referral, its consent receipt and queue entries in one transaction.

    With an `Idempotency-Key`, a replay returns the first response byte for byte; the same key with a
    different body is refused.
    """
    body_hash = hashlib.sha256(await request.body()).hexdigest()
    if idempotency_key:
        record = await repository.idempotency_record(session, caller.key, idempotency_key)
        if record is not None:
            if record.request_hash != body_hash:
                raise IdempotencyKeyReused()
            await service.record_replay(session, caller, record.response_body)
            return Response(record.response_body, record.status_code, media_type="application/json")
    result = await intake.create(
        session,
        vault,
        caller,
        payload,
        allow_fictional_phones=settings.allow_fictional_phone_numbers,
    )
    status = 201 if result.reference else 200
    body = result.model_dump_json().encode()
    if idempotency_key:
        await repository.add_idempotency_record(
            session,
            IdempotencyRecord(
                principal=caller.key,
                key=idempotency_key,
                request_hash=body_hash,
                status_code=status,
                response_body=body,
            ),
        )
    return Response(body, status, media_type="application/json")


@router.get(
    "/{reference}",
    response_model=ReferralDetail,
    responses=error_responses(Unauthenticated, Forbidden, ReferralNotFound, InvalidRequest),
)
async def read_referral(
    reference: Reference, caller: CaseReaderCaller, session: Session, vault: AppVault, settings: AppSettings
) -> ReferralDetail:
    """The case, for an administrator, the agency that referred it, or a provider whose queue holds it.

    A case the caller may not see answers exactly as one that does not exist. Every read is audited.
    A provider that returned or closed the case sees its status only, after CASE_DETAIL_GRACE_HOURS; the
    agency sees its status only after the person withdrew consent (`detail_withheld` says why).
    """
    grace = timedelta(hours=settings.case_detail_grace_hours)
    return await intake.read_for(session, vault, caller, reference, grace)


@router.post(
    "/{reference}/urgent",
    response_model=ReferralRead,
    responses=error_responses(Unauthenticated, Forbidden, ReferralNotFound, InvalidRequest),
)
async def mark_urgent(
    reference: Reference, body: UrgentCreate, caller: UrgentCaller, session: Session
) -> ReferralRead:
    """Make a handed-off case urgent: the person said they are in danger now. Priority becomes
    `emergency`, the contact deadline the same working day (never later than before), and the case moves
    to the front of every queue that holds it. Idempotent (an urgent case is answered unchanged); audited.

    The bot service names the conversation the case came from and may mark only that case; an admin may
    mark any. A case the caller may not mark answers exactly as one that does not exist (404).
    """
    return await intake.mark_urgent(session, caller, reference, body)


@router.post(
    "/{reference}/callback",
    response_model=ReferralRead,
    responses=error_responses(
        Unauthenticated, Forbidden, ReferralNotFound, CallbackUnavailable, InvalidRequest
    ),
)
async def request_callback(
    reference: Reference, body: CallbackCreate, caller: UrgentCaller, session: Session, settings: AppSettings
) -> ReferralRead:
    """A call-back at the time the person chose, while the service is open (one of the windows
    `GET /v1/service/hours` offers now). The window is kept on the case and shown in the provider's queue,
    where the case sorts by the window's end when that is sooner than its deadline. Asking again replaces
    the window; audited.

    Refused with 409 `callback_unavailable` when the window is not on offer now (the service closed, or
    the time passed) or the person did not agree to phone calls. The bot service may ask only for a case
    made in the conversation it names.
    """
    return await intake.request_callback(session, settings, caller, reference, body)
