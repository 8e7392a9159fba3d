"""Twilio's webhooks for the SMS helpline: an inbound message, and the status of a message we sent.

Both are signed by Twilio (`X-Twilio-Signature`, checked by the twilio library against our public URL):
a missing or wrong signature is 403 and nothing is stored. An inbound message is stored and answered at
once with empty TwiML; the bot's replies go out later from the worker, through the REST API.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request, Response

from api.auth import public
from api.deps import AppSettings, AppVault, Sessions
from api.errors import error_responses
from api.sms.errors import InvalidSignature, InvalidWebhook
from api.sms.inbound import accept_inbound, parse_inbound
from api.sms.outbox import outbound_id_of, parse_status, record_status
from api.sms.schemas import EMPTY_TWIML, TWIML_MEDIA_TYPE, FormParams
from api.sms.twilio import SIGNATURE_HEADER, public_url, signature_valid

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
async def inbound(params: SignedForm, settings: AppSettings, sessions: Sessions, vault: AppVault) -> Response:
    await accept_inbound(sessions, vault, parse_inbound(params, settings))
    return Response(EMPTY_TWIML, media_type=TWIML_MEDIA_TYPE)


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
