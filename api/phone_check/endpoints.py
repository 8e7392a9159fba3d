"""The bot confirms the person's number with a one-time code: send one, then check what was typed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.auth import Caller, allow
from api.deps import AppSettings, AppTranslator, AppVault, Session
from api.errors import Forbidden, InvalidRequest, Unauthenticated, error_responses
from api.kit.models import utcnow
from api.phone_check import service
from api.phone_check.errors import PhoneCheckNotOpen, PhoneCheckUnavailable
from api.phone_check.schemas import PhoneCheckConfirm, PhoneCheckCreate, PhoneCheckRead
from api.principal.models import PrincipalKind
from api.referral.errors import ReferralNotFound

router = APIRouter(prefix="/v1/referrals", tags=["referrals"])
# Only the bot, for the case of the conversation it names: the person is the one typing the code.
BotCaller = Annotated[Caller, allow(PrincipalKind.bot)]
Reference = Annotated[
    str,
    Path(
        pattern=r"^SR-[0-9A-Z]{4}-[0-9A-Z]{4}$",
        description="The referral's reference, as given when it was created.",
        examples=["SR-2345-6789"],
    ),
]


@router.post(
    "/{reference}/phone-check",
    response_model=PhoneCheckRead,
    responses=error_responses(
        Unauthenticated, Forbidden, ReferralNotFound, PhoneCheckUnavailable, InvalidRequest
    ),
)
async def send_code(
    reference: Reference,
    body: PhoneCheckCreate,
    caller: BotCaller,
    session: Session,
    vault: AppVault,
    settings: AppSettings,
    translator: AppTranslator,
) -> PhoneCheckRead:
    """Text a one-time code to the case's number, through the SMS outbox (so the safe-contact plan and an
    opt-out apply when it is sent). A newer code replaces an older one. `verified` when the number already
    is. Refused with 409 `phone_check_unavailable` when the case has no number, the person did not say
    texts are safe, or PHONE_CHECK_MAX_CODES codes were sent already."""
    return await service.send(
        session, vault, settings, translator, caller, reference, body.conversation_id, utcnow()
    )


@router.post(
    "/{reference}/phone-check/confirm",
    response_model=PhoneCheckRead,
    responses=error_responses(
        Unauthenticated, Forbidden, ReferralNotFound, PhoneCheckNotOpen, InvalidRequest
    ),
)
async def confirm_code(
    reference: Reference,
    body: PhoneCheckConfirm,
    caller: BotCaller,
    session: Session,
    vault: AppVault,
    settings: AppSettings,
) -> PhoneCheckRead:
    """Check the code the person typed: `verified` (the number is marked verified on the case), `wrong`
    (with `attempts_left`), `failed` (PHONE_CHECK_MAX_ATTEMPTS wrong codes) or `expired`; after `failed`
    or `expired` the number stays unverified. 409 `phone_check_not_open` when no code is waiting."""
    return await service.confirm(
        session, vault, settings, caller, reference, body.conversation_id, body.code, utcnow()
    )
