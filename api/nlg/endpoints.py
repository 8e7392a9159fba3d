"""POST /v1/nlg — Rasa asks here for the words of every `utter_*` response."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import BotCaller
from api.deps import (
    AppGateway,
    AppResponseCatalogue,
    AppSettings,
    AppTranslator,
    Session,
)
from api.errors import Forbidden, InvalidRequest, Unauthenticated, error_responses
from api.nlg import service
from api.nlg.errors import UnknownResponse
from api.nlg.schemas import NlgRequest, NlgResponse
from api.retention import policy as retention_policy

router = APIRouter(prefix="/v1/nlg", tags=["bot"])


@router.post(
    "",
    response_model=NlgResponse,
    response_model_exclude_none=True,
    responses=error_responses(Unauthenticated, Forbidden, UnknownResponse, InvalidRequest),
)
async def render_response(
    body: NlgRequest,
    _caller: BotCaller,
    session: Session,
    settings: AppSettings,
    catalogue: AppResponseCatalogue,
    translator: AppTranslator,
    gateway: AppGateway,
) -> NlgResponse:
    spec = catalogue.get(body.response)
    if spec is None:
        raise UnknownResponse(name=body.response)
    slots = body.slots()
    # An action that switches language says its first words in the new one: Rasa asks for them before the
    # action's own SlotSet reaches the tracker, so the action names the language as an argument.
    locale = str(body.arguments.get("language") or slots.get("language") or settings.default_locale)
    menu = gateway.menu_order()
    # The retention periods the privacy notice and the withdrawal message state come from the policy's
    # settings (api/retention/policy.py), the same values disposal applies.
    arguments = {**retention_policy.notice_params(settings), **body.arguments}
    return await service.render(session, translator, spec, locale, slots, arguments, menu)
