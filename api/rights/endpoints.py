"""Rights endpoints.

- `/v1/rights/*`: the data-protection officer's (principal kind `data_protection`; an admin may not: the
  usual separation of duties, so whoever runs the service cannot also read out or erase a person's file).
  Personal data travels in the request body only (POST), never in a path or query string.
- `/v1/conversations/{conversation_id}/*`: the bot service's, for the person who comes back after the bot's
  session expired (its slots no longer name their case): withdraw consent, or mark danger, for the
  referrals the bot made in that conversation, and only those.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, Request
from fastapi.responses import JSONResponse

from api.auth import BotCaller, DataProtectionCaller
from api.deps import AppSettings, AppTranslator, AppVault, Session
from api.errors import Forbidden, InvalidRequest, Unauthenticated, UpstreamUnavailable, error_responses
from api.i18n import negotiate_locale
from api.retention import disposal
from api.rights import document, service
from api.rights.errors import ErasureRefused, ErasureUnavailable, InvalidSubject, NothingHeld
from api.rights.schemas import (
    ConversationUrgent,
    ConversationWithdrawal,
    Erased,
    ErasureRequest,
    Export,
    ExportRequest,
    Rectification,
    Rectified,
    StoreCounts,
    Subject,
)

router = APIRouter(prefix="/v1/rights", tags=["rights"])
conversation_router = APIRouter(prefix="/v1/conversations", tags=["rights"])

ConversationId = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="The conversation id (the Rasa sender id) the bot is talking in.",
        examples=["s_5b1f0c2e9d"],
    ),
]


@router.post(
    "/find",
    response_model=StoreCounts,
    responses=error_responses(
        Unauthenticated, Forbidden, InvalidSubject, UpstreamUnavailable, InvalidRequest
    ),
)
async def find(
    body: Subject, caller: DataProtectionCaller, session: Session, settings: AppSettings, vault: AppVault
) -> StoreCounts:
    """What is held about a person, store by store (counts and case references), found by phone, e-mail,
    case reference or police crime reference. Audited (the kind of lookup and the count, not the value)."""
    return await service.find(session, vault, settings, caller, body)


@router.post(
    "/export",
    response_model=Export,
    responses=error_responses(
        Unauthenticated, Forbidden, NothingHeld, InvalidSubject, UpstreamUnavailable, InvalidRequest
    ),
)
async def export(
    body: ExportRequest,
    caller: DataProtectionCaller,
    session: Session,
    settings: AppSettings,
    vault: AppVault,
    translator: AppTranslator,
) -> Export:
    """A subject access export: everything held, machine-readable (`data`), and the same as a document the
    person can read in their language (`document`, plain text; `direction` says rtl or ltr). Audited."""
    held, data = await service.export(session, vault, settings, caller, body)
    language = translator.supported(
        body.language or (held.referrals[-1].language if held.referrals else None)
    )
    return Export(
        language=language,
        direction=translator.direction(language),
        data=data,
        document=document.render(translator, data, language),
    )


@router.post(
    "/rectify",
    response_model=Rectified,
    responses=error_responses(Unauthenticated, Forbidden, NothingHeld, InvalidSubject, InvalidRequest),
)
async def rectify(
    body: Rectification,
    caller: DataProtectionCaller,
    session: Session,
    settings: AppSettings,
    vault: AppVault,
) -> Rectified:
    """Correct one contact detail of a case (name, phone, e-mail, the safe-contact answers). The old value is
    not kept: the details are re-sealed and the blind indexes replaced. Audited as "rectified field X"."""
    await service.rectify(session, vault, settings, caller, body)
    return Rectified(reference=body.reference, field=body.field)


@router.post(
    "/erase",
    response_model=Erased,
    responses=error_responses(
        Unauthenticated, Forbidden, NothingHeld, ErasureRefused, ErasureUnavailable, InvalidRequest
    ),
)
async def erase(
    body: ErasureRequest,
    request: Request,
    background: BackgroundTasks,
    caller: DataProtectionCaller,
    session: Session,
    settings: AppSettings,
    translator: AppTranslator,
) -> Erased | JSONResponse:
    """Erase a case at the person's request, from every store. Refused (409 `erasure_refused`, the reason
    in `detail`) while a legal hold or a safeguarding basis applies; the refusal is audited too."""
    outcome = await service.erase(session, settings, caller, body.reference)
    if outcome.refused is not None:
        refused = ErasureRefused(reason=outcome.refused)
        locale = negotiate_locale(request.headers.get("accept-language"), translator.locales)
        content = {
            "error": refused.error,
            "code": refused.status_code,
            "detail": refused.detail(translator, locale),
        }
        return JSONResponse(content, refused.status_code)
    # After the commit (which comes before the response): the deleted pages leave SQLite's write-ahead logs.
    background.add_task(disposal.truncate_logs, settings)
    return Erased(reference=outcome.reference, removed=outcome.removed)


@conversation_router.post(
    "/{conversation_id}/consent-withdrawal",
    response_model=ConversationWithdrawal,
    responses=error_responses(Unauthenticated, Forbidden, InvalidRequest),
)
async def withdraw_for_conversation(
    conversation_id: ConversationId, caller: BotCaller, session: Session
) -> ConversationWithdrawal:
    """The person asked the bot to withdraw consent, and the bot no longer knows their case (its session
    expired; an SMS number keeps one conversation id). Every referral the bot made in this conversation is
    withdrawn, with the usual cascade; `references` lists them (also those withdrawn before). Empty: this
    conversation made no referral that is still held, so "nothing has been kept" is true."""
    return await service.withdraw_for_conversation(session, caller, conversation_id)


@conversation_router.post(
    "/{conversation_id}/urgent",
    response_model=ConversationUrgent,
    responses=error_responses(Unauthenticated, Forbidden, InvalidRequest),
)
async def urgent_for_conversation(
    conversation_id: ConversationId, caller: BotCaller, session: Session
) -> ConversationUrgent:
    """The person said they are in danger, and the bot no longer knows their case: every open case the bot
    made in this conversation becomes urgent (as `POST /v1/referrals/{reference}/urgent`)."""
    return await service.urgent_for_conversation(session, caller, conversation_id)
