"""Twilio's webhooks for the SMS helpline: an inbound message, and the status of a message we sent.

Both are signed by Twilio (`X-Twilio-Signature`, checked by the twilio library against our public URL):
a missing or wrong signature is 403 and nothing is stored. An inbound message is stored and answered at
once with empty TwiML; the bot's replies go out later from the worker, through the REST API.
"""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from fastapi import APIRouter, Depends, Request, Response

from api.auth import public
from api.conversation.gateway import Gateway
from api.deps import AppGateway, AppSettings, AppVault, Sessions
from api.errors import error_responses
from api.kit.crypto import Vault
from api.ratelimit import RateLimiter, Rule
from api.sms.errors import InvalidSignature, InvalidWebhook
from api.sms.identity import conversation_id_for
from api.sms.inbound import accept_inbound, parse_inbound
from api.sms.outbox import outbound_id_of, parse_status, record_status
from api.sms.schemas import EMPTY_TWIML, TWIML_MEDIA_TYPE, FormParams, InboundSms
from api.sms.twilio import SIGNATURE_HEADER, public_url, signature_valid

logger = logging.getLogger("api.sms")
router = APIRouter(prefix="/v1/channels/sms", tags=["SMS (Twilio webhooks)"])
TWILIO = public(
    "Twilio's webhooks carry no token: X-Twilio-Signature, checked on every request, is the authentication"
)
MAX_BODY_BYTES = 64 * 1024  # Twilio's largest inbound (1,600 characters, form-encoded) is far smaller


def _form(example: dict[str, str]) -> dict[str, object]:
    """The form Twilio posts, for the OpenAPI document (the route reads and checks the raw body itself)."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "additionalProperties": {"type": "string"}},
                    "example": example,
                }
            },
        }
    }


_SID = "SM" + "0123456789abcdef" * 2
INBOUND_EXAMPLE = {
    "MessageSid": _SID, "AccountSid": "AC" + "0" * 32, "From": "+447700900123", "To": "+447700900000",
    "Body": "hello", "NumMedia": "0", "ApiVersion": "2010-04-01",
}  # fmt: skip
STATUS_EXAMPLE = {"MessageSid": _SID, "MessageStatus": "delivered", "AccountSid": "AC" + "0" * 32}


async def signed_form(request: Request, settings: AppSettings) -> FormParams:
    """The form Twilio posted, once its signature is proven; InvalidSignature (403) otherwise."""
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidSignature()
    try:
        params = FormParams.of(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidSignature() from exc
    url = public_url(request, settings)
    signature = request.headers.get(SIGNATURE_HEADER)
    # The primary token, or the secondary while Twilio rotates them (TWILIO_AUTH_TOKEN_SECONDARY).
    if not any(signature_valid(url, params, signature, t) for t in settings.twilio_auth_tokens()):
        raise InvalidSignature()
    return params


SignedForm = Annotated[FormParams, Depends(signed_form)]


@router.post(
    "/inbound",
    dependencies=[TWILIO],
    response_class=Response,
    responses={
        200: {"description": "Stored (or a re-delivery, ignored); empty TwiML.", "content": {"text/xml": {}}},
        **error_responses(InvalidWebhook, InvalidSignature),
    },
    openapi_extra=_form(INBOUND_EXAMPLE),
)
async def inbound(
    request: Request,
    params: SignedForm,
    settings: AppSettings,
    sessions: Sessions,
    vault: AppVault,
    gateway: AppGateway,
) -> Response:
    message = parse_inbound(params, settings)
    if not await within_rate_limit(request, vault, gateway, message):
        # Acknowledged (Twilio must not retry it) but not stored: no bot turn, no reply, no spend. The
        # sender hears it once per window, in their words' language, and is told to send it again.
        return await flood_reply(request, vault, gateway, message)
    await accept_inbound(sessions, vault, message, gateway)
    return Response(EMPTY_TWIML, media_type=TWIML_MEDIA_TYPE)


async def within_rate_limit(request: Request, vault: Vault, gateway: Gateway, message: InboundSms) -> bool:
    """A text from this number may become a bot turn (RATE_LIMIT_SMS_INBOUND, per number). A text that
    matches a danger phrase, and STOP/START, always may: limits slow a flood, never a person in danger."""
    if message.opt_out_type is not None or gateway.danger.match(message.body) is not None:
        return True
    limiter: RateLimiter = request.app.state.rate_limiter
    decision = await limiter.hit(Rule.sms_inbound, conversation_id_for(vault, message.from_number))
    if not decision.allowed:
        logger.info("sms inbound rate limited", extra={"retry_after": decision.retry_after})
    return decision.allowed


async def flood_reply(request: Request, vault: Vault, gateway: Gateway, message: InboundSms) -> Response:
    """Empty TwiML, or once per RATE_LIMIT_SMS_NOTICE window the "slow down" text as TwiML."""
    limiter: RateLimiter = request.app.state.rate_limiter
    notice = await limiter.hit(Rule.sms_notice, conversation_id_for(vault, message.from_number))
    if not notice.allowed:
        return Response(EMPTY_TWIML, media_type=TWIML_MEDIA_TYPE)
    detected = gateway.detection.detect(message.body.strip())
    language = detected.language if detected is not None else gateway.translator.default_locale
    text = gateway.translator.t("api.sms.rate_limited", language)
    return Response(twiml_message(text), media_type=TWIML_MEDIA_TYPE)


def twiml_message(text: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{escape(text)}</Message></Response>'


@router.post(
    "/status",
    status_code=204,
    dependencies=[TWILIO],
    response_class=Response,
    responses={
        204: {"description": "Merged (or about no message of ours, ignored)."},
        **error_responses(InvalidWebhook, InvalidSignature),
    },
    openapi_extra=_form(STATUS_EXAMPLE),
)
async def status(request: Request, params: SignedForm, sessions: Sessions) -> Response:
    report = parse_status(params)
    await record_status(sessions, outbound_id_of(request.query_params.get("m")), report)
    return Response(status_code=204)
