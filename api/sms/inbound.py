"""Inbound SMS, inside Twilio's webhook: the signature was checked by the endpoint; the message is stored
under its MessageSid (a re-delivery inserts nothing) with its body sealed, and the number's contact row is
made on first contact. One transaction and nothing slow: Twilio gets its empty TwiML at once, and the
worker answers the message later (api/sms/turns.py).

Danger first, and durable: when the gateway's danger matcher matches the message (the same phrases the
turn's gateway checks), every open case this number's conversation made becomes urgent in the same
transaction that stores the message (as `POST /v1/conversations/{id}/urgent`, idempotent and audited). So
the mark does not depend on the bot's action server, or on any task that a restart would lose."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth import Caller
from api.config import Settings
from api.conversation.gateway import Gateway
from api.kit import phone
from api.kit.crypto import Vault
from api.kit.models import utcnow
from api.principal.models import PrincipalKind
from api.rights import service as rights_service
from api.sms import repository
from api.sms.errors import InvalidWebhook
from api.sms.identity import contact_aad, conversation_id_for, inbound_aad, phone_index_for
from api.sms.models import InboundStatus
from api.sms.schemas import E164, MAX_TWILIO_MEDIA, MESSAGE_SID, FormParams, InboundSms

logger = logging.getLogger("api.sms")

OPT_OUT_TYPES = ("STOP", "START", "HELP")
# The webhook marking a texter's cases urgent acts as the bot would (only cases of this conversation).
SMS_GATEWAY = Caller(uuid.UUID(int=4), PrincipalKind.bot, "sms gateway (danger matched)")


def parse_inbound(params: FormParams, settings: Settings) -> InboundSms:
    """The message a signed inbound webhook carries, or InvalidWebhook (422) when it cannot be answered."""
    sid = params.first("MessageSid") or ""
    if not MESSAGE_SID.match(sid):
        raise InvalidWebhook()
    try:
        number = phone.normalise(params.first("From") or "", settings.allow_fictional_phone_numbers)
    except phone.InvalidPhoneNumber as exc:  # withheld, alphanumeric or not a number: nobody to answer
        raise InvalidWebhook() from exc
    to = params.first("To") or ""
    try:
        num_media = min(max(int(params.first("NumMedia") or 0), 0), MAX_TWILIO_MEDIA)
    except ValueError:
        num_media = 0
    opt_out = (params.first("OptOutType") or "").upper()
    return InboundSms(
        message_sid=sid,
        from_number=number,
        sender=to if E164.match(to) else settings.twilio_from_number,
        body=params.first("Body") or "",
        num_media=num_media,
        opt_out_type=opt_out if opt_out in OPT_OUT_TYPES else None,
    )


async def accept_inbound(
    sessionmaker: async_sessionmaker[AsyncSession],
    vault: Vault,
    message: InboundSms,
    gateway: Gateway | None = None,
) -> bool:
    """Store the message (committed before Twilio gets its answer), and with it, when `gateway` matches
    danger in it, the urgent mark on the conversation's open cases. False for a re-delivery."""
    now = utcnow()
    conversation_id = conversation_id_for(vault, message.from_number)
    async with sessionmaker() as session, session.begin():
        await repository.add_contact_if_new(
            session,
            conversation_id,
            phone_index_for(vault, message.from_number),
            vault.cipher.seal(message.from_number.encode(), contact_aad(conversation_id).encode()),
            now,
        )
        stored = await repository.add_inbound_if_new(
            session,
            {
                "message_sid": message.message_sid,
                "conversation_id": conversation_id,
                "sender_number": message.sender,
                "body_sealed": vault.cipher.seal(
                    message.body.encode(), inbound_aad(message.message_sid).encode()
                ),
                "num_media": message.num_media,
                "opt_out_type": message.opt_out_type,
                "status": InboundStatus.received,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            },
        )
        if stored and message.opt_out_type in ("STOP", "START"):
            # Twilio has already opted the number out (or back in); every later send must follow at once.
            contact = await repository.contact(session, conversation_id, lock=True)
            if contact is not None:
                contact.opt(out=message.opt_out_type == "STOP", now=now)
        urgent = 0
        if stored and gateway is not None and gateway.danger.match(message.body) is not None:
            marked = await rights_service.urgent_for_conversation(session, SMS_GATEWAY, conversation_id)
            urgent = len(marked.references)
    if urgent:
        logger.info("sms danger: cases marked urgent", extra={"count": urgent})
    logger.info(
        "sms inbound",
        extra={
            "message_sid": message.message_sid,
            "duplicate": not stored,
            "media": message.num_media,
            "opt_out": message.opt_out_type or "-",
        },
    )
    return stored
