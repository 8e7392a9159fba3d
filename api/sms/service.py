"""The SMS helpline: accepting Twilio's webhooks, answering each message with a bot turn, sending replies.

1. **Inbound** (`accept_inbound`, inside the webhook): the signature was checked by the endpoint; the message
   is stored under its MessageSid (a re-delivery inserts nothing) with its body sealed, and the number's
   contact row is made on first contact. Nothing slow: Twilio gets its empty TwiML at once.
2. **The turn** (`answer_next`, in the worker): the oldest unanswered message of a conversation whose earlier
   messages are all answered is claimed, sent through `api.conversation.service.send` (the gateway of the web
   chat: danger phrases first, then the language), and the replies go into the outbox in the same
   transaction that marks the message answered and wipes its body.
3. **Sending** (`send_next`, in the worker): the next SMS of a conversation is checked against the
   safe-contact plan and opt-out, paced per sender number, handed to Twilio's REST API with a status
   callback, and retried with exponential back-off on 429, 5xx and network errors.
4. **Status callbacks** (`record_status`): merged by rank, so they may arrive in any order.

The conversation id is `s_` and a keyed hash of the E.164 number (its own purpose of the blind index), so it
names the number without revealing it. The number is kept sealed on the contact row, to reply.

Who is never texted (the rule): a number whose newest referral (found by the phone blind index) answered
"is it safe to text you?" with no, and a number that opted out (STOP) until it opts in again (START).
Their replies are kept as `suppressed` outbox rows without a body, so the decision is visible.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.config import Settings
from api.conversation import service as chat_service
from api.conversation.errors import BotUnavailable, ConversationEnded
from api.conversation.models import Conversation
from api.conversation.relay import RasaRelay
from api.conversation.schemas import MAX_MESSAGE_CHARS, BotMessage
from api.i18n import Translator
from api.kit import phone
from api.kit.crypto import DecryptionError, Vault
from api.kit.models import utcnow
from api.referral.service import person_aad
from api.sms import repository
from api.sms.errors import InvalidWebhook
from api.sms.models import InboundStatus, OutboxState, SmsContact, SmsOutbound, new_claim
from api.sms.schemas import (
    E164,
    MAX_TWILIO_MEDIA,
    MESSAGE_SID,
    FormParams,
    InboundSms,
    StatusReport,
    merge_status,
)
from api.sms.segments import segments
from api.sms.twilio import SendResult, TwilioClient
from api.sms.wording import compose, render

if TYPE_CHECKING:
    from api.conversation.gateway import Gateway

logger = logging.getLogger("api.sms")

CONVERSATION_PREFIX = "s_"
INBOUND_LEASE = timedelta(minutes=2)
OPT_OUT_TYPES = ("STOP", "START", "HELP")
UNSUBSCRIBED = 21610  # Twilio: "Attempt to send to unsubscribed recipient"
STATUS_PATH = "/v1/channels/sms/status"
SKIP = "/skip_question"


def conversation_id_for(vault: Vault, number: str) -> str:
    return CONVERSATION_PREFIX + vault.index.of("sms_conversation", number)[:48]


def phone_index_for(vault: Vault, number: str) -> str:
    """The same blind index referrals keep, so a referral's safe-contact answers find this number."""
    return vault.index.of("phone", number)


def contact_aad(conversation_id: str) -> str:
    return f"sms_contact:{conversation_id}:phone"


def inbound_aad(message_sid: str) -> str:
    return f"sms_inbound:{message_sid}:body"


def outbound_aad(outbound_id: uuid.UUID) -> str:
    return f"sms_outbound:{outbound_id}:body"


# ---- 1. inbound ----


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
    sessionmaker: async_sessionmaker[AsyncSession], vault: Vault, message: InboundSms
) -> bool:
    """Store the message (committed before Twilio gets its answer). False for a re-delivery."""
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
                contact.opted_out = message.opt_out_type == "STOP"
                contact.updated_at = now
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


# ---- the worker's context ----


@dataclass
class SmsContext:
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    vault: Vault
    translator: Translator
    relay: RasaRelay
    gateway: Gateway
    twilio: TwilioClient

    def backoff(self, attempts: int) -> timedelta:
        """Exponential back-off after the `attempts`-th failure: base, 2×base, 4×base… capped, with jitter."""
        base = self.settings.sms_retry_base_seconds * 2 ** max(attempts - 1, 0)
        delay = min(self.settings.sms_retry_max_seconds, base)
        return timedelta(seconds=delay * random.uniform(1.0, 1.1))  # noqa: S311 — spreading, not secrecy

    def status_callback(self, outbound_id: uuid.UUID) -> str:
        return f"{self.settings.public_base_url.rstrip('/')}{STATUS_PATH}?m={outbound_id}"


# ---- 2. the turn ----


@dataclass(frozen=True)
class _Claimed:
    id: int
    conversation_id: str
    message_sid: str
    sender: str
    body: str
    num_media: int
    attempts: int
    last_choices: list[str]


def choice_payload(text: str, last_choices: list[str]) -> str | None:
    """A bare number answering the last reply's numbered choices means that choice.

    Except when the only choice is "Skip this question": it sits under questions that may be answered with
    a number (how old are you? how many times?), where "1" is the answer, not the button."""
    said = text.strip().rstrip(".)")
    if not last_choices or last_choices == [SKIP] or not said.isdigit() or len(said) > 2:
        return None
    number = int(said)
    return last_choices[number - 1] if 1 <= number <= len(last_choices) else None


async def _ensure_conversation(ctx: SmsContext, conversation_id: str) -> None:
    """A number's first message starts its conversation; a conversation that was ended starts again."""
    async with ctx.sessionmaker() as session, session.begin():
        conversation = await session.get(Conversation, conversation_id)
        if conversation is not None:
            if conversation.ended_at is not None:
                conversation.ended_at = None
            return
    await chat_service.start(
        ctx.sessionmaker, "sms", ctx.settings.default_locale, conversation_id=conversation_id
    )


async def _claim_inbound(ctx: SmsContext, claim: str) -> _Claimed | None:
    async with ctx.sessionmaker() as session, session.begin():
        inbound = await repository.claim_inbound(session, utcnow(), INBOUND_LEASE, claim)
        if inbound is None:
            return None
        contact = await repository.contact(session, inbound.conversation_id)
        body = ""
        if inbound.body_sealed is not None:
            body = ctx.vault.cipher.open(
                inbound.body_sealed, inbound_aad(inbound.message_sid).encode()
            ).decode()
        return _Claimed(
            id=inbound.id,
            conversation_id=inbound.conversation_id,
            message_sid=inbound.message_sid,
            sender=inbound.sender_number,
            body=body,
            num_media=inbound.num_media,
            attempts=inbound.attempts,
            last_choices=list(contact.last_choices) if contact else [],
        )


async def _retry_later(ctx: SmsContext, claimed: _Claimed, claim: str) -> None:
    async with ctx.sessionmaker() as session, session.begin():
        held = await repository.held_inbound(session, claimed.id, claim)
        if held is not None:
            held.status = InboundStatus.received
            held.claim = None
            held.lease_until = None
            held.next_attempt_at = utcnow() + ctx.backoff(claimed.attempts)


async def answer_next(ctx: SmsContext) -> bool:
    """Answer one inbound message, if one is waiting its turn. True when there was work."""
    claim = new_claim()
    claimed = await _claim_inbound(ctx, claim)
    if claimed is None:
        return False
    await _ensure_conversation(ctx, claimed.conversation_id)
    language = await chat_service.language_of(ctx.sessionmaker, claimed.conversation_id)
    local: list[str] = []  # keys of the SMS layer's own words, said before the bot's
    messages: list[BotMessage] = []
    text = claimed.body.strip()
    bot_ran = False
    if claimed.num_media:
        local.append("bot.sms.media_not_read")
    if not text and not claimed.num_media:
        local.append("bot.sms.empty")
    elif len(text) > MAX_MESSAGE_CHARS:
        local.append("bot.sms.too_long")
    elif text:
        to_bot = choice_payload(text, claimed.last_choices) or text
        try:
            messages = await _turn(ctx, claimed.conversation_id, to_bot)
            bot_ran = True
        except BotUnavailable:
            if claimed.attempts < ctx.settings.sms_send_max_attempts:
                await _retry_later(ctx, claimed, claim)
                logger.warning("sms turn deferred", extra={"message_sid": claimed.message_sid})
                return True
            local.append("bot.sms.unavailable")
        language = await chat_service.language_of(ctx.sessionmaker, claimed.conversation_id)

    def translate(key: str, **params: str) -> str:
        return ctx.translator.t(key, language, **params)

    replies = [BotMessage(text=translate(key)) for key in local] + messages
    text_out, choices = render(replies, translate)
    words = tuple(translate("bot.sms.lock_screen_words").split("|")) + tuple(
        ctx.translator.t("bot.sms.lock_screen_words", ctx.settings.default_locale).split("|")
    )
    parts = compose(text_out, opener=translate("bot.sms.neutral_opener"), words=words) if text_out else []
    await _finish(ctx, claimed, claim, parts, choices if bot_ran else None)
    return True


async def _turn(ctx: SmsContext, conversation_id: str, text: str) -> list[BotMessage]:
    try:
        return await chat_service.send(
            ctx.sessionmaker, ctx.relay, conversation_id, text, gateway=ctx.gateway
        )
    except ConversationEnded:  # ended between our check and the turn (the person ended it elsewhere)
        await _ensure_conversation(ctx, conversation_id)
        return await chat_service.send(
            ctx.sessionmaker, ctx.relay, conversation_id, text, gateway=ctx.gateway
        )


async def _finish(
    ctx: SmsContext, claimed: _Claimed, claim: str, parts: list[str], choices: list[str] | None
) -> None:
    """Replies into the outbox and the message marked answered (its body wiped): one transaction."""
    now = utcnow()
    async with ctx.sessionmaker() as session, session.begin():
        held = await repository.held_inbound(session, claimed.id, claim)
        if held is None:  # our lease lapsed and another worker took the message: it answers instead
            logger.warning("sms turn lost its lease", extra={"message_sid": claimed.message_sid})
            return
        seq = await repository.next_seq(session, claimed.conversation_id)
        for position, part in enumerate(parts):
            outbound_id = uuid.uuid4()
            session.add(
                SmsOutbound(
                    id=outbound_id,
                    seq=seq + position,
                    conversation_id=claimed.conversation_id,
                    inbound_id=claimed.id,
                    sender_number=claimed.sender,
                    body_sealed=ctx.vault.cipher.seal(part.encode(), outbound_aad(outbound_id).encode()),
                    segments=segments(part),
                    state=OutboxState.pending,
                    next_attempt_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
        if choices is not None:
            contact = await repository.contact(session, claimed.conversation_id, lock=True)
            if contact is not None:
                contact.last_choices = choices
                contact.updated_at = now
        held.status = InboundStatus.processed
        held.body_sealed = None
        held.claim = None
        held.lease_until = None
        held.processed_at = now
    logger.info("sms answered", extra={"message_sid": claimed.message_sid, "replies": len(parts)})


# ---- 3. sending ----


async def blocked_reason(session: AsyncSession, vault: Vault, contact: SmsContact) -> str | None:
    """Why this number must not be texted now, or None. See the rule in the module's docstring."""
    if contact.opted_out:
        return "opted_out"
    for referral in await repository.referrals_by_phone(session, contact.phone_index):
        try:
            person = vault.cipher.open_json(referral.person_sealed, person_aad(referral.id))
        except DecryptionError:
            continue
        if isinstance(person, dict) and isinstance(person.get("sms_safe"), bool):
            return None if person["sms_safe"] else "do_not_text"
    return None


@dataclass(frozen=True)
class _Sending:
    id: uuid.UUID
    to: str
    sender: str
    body: str
    slot: datetime
    attempts: int
    conversation_id: str


async def _claim_outbound(ctx: SmsContext, claim: str) -> _Sending | bool | None:
    """The next SMS to send (its slot reserved), False when there is none, None when it was settled here."""
    now = utcnow()
    async with ctx.sessionmaker() as session, session.begin():
        claimed = await repository.claim_outbound(session, now, INBOUND_LEASE, claim)
        if claimed is None:
            return False
        row, contact = claimed
        reason = await blocked_reason(session, ctx.vault, contact)
        if reason is None and row.body_sealed is None:
            reason = "no_body"
        if reason is not None:
            row.state = OutboxState.suppressed if reason != "no_body" else OutboxState.failed
            row.reason = reason
            row.body_sealed = None
            row.claim = None
            row.lease_until = None
            logger.info("sms not sent", extra={"outbound_id": str(row.id), "reason": reason})
            return None
        assert row.body_sealed is not None
        to = ctx.vault.cipher.open(
            contact.phone_sealed, contact_aad(contact.conversation_id).encode()
        ).decode()
        body = ctx.vault.cipher.open(row.body_sealed, outbound_aad(row.id).encode()).decode()
        spacing = timedelta(seconds=max(row.segments, 1) / ctx.settings.sms_send_per_second)
        slot = await repository.take_send_slot(session, row.sender_number, now, spacing)
        row.lease_until = slot + timedelta(seconds=2 * ctx.settings.twilio_timeout_seconds + 60)
        return _Sending(row.id, to, row.sender_number, body, slot, row.attempts, row.conversation_id)


async def send_next(ctx: SmsContext) -> bool:
    """Send one SMS from the outbox, if one is due. True when there was work."""
    claim = new_claim()
    sending = await _claim_outbound(ctx, claim)
    if sending is False:
        return False
    if sending is None or sending is True:
        return True
    wait = (sending.slot - utcnow()).total_seconds()
    if wait > 0:
        await asyncio.sleep(wait)
    result = await ctx.twilio.send(sending.to, sending.sender, sending.body, ctx.status_callback(sending.id))
    await _record_send(ctx, sending, claim, result)
    return True


async def _record_send(ctx: SmsContext, sending: _Sending, claim: str, result: SendResult) -> None:
    now = utcnow()
    async with ctx.sessionmaker() as session, session.begin():
        row = await repository.held_outbound(session, sending.id, claim)
        if row is None:  # cancelled meanwhile (consent withdrawn), or our lease lapsed
            return
        row.claim = None
        row.lease_until = None
        row.updated_at = now
        if result.ok:
            row.state = OutboxState.submitted
            row.twilio_sid = row.twilio_sid or result.sid
            row.delivery_status = merge_status(row.delivery_status, result.status or "queued")
            row.submitted_at = now
            row.body_sealed = None
        elif result.retry and sending.attempts < ctx.settings.sms_send_max_attempts:
            row.state = OutboxState.pending
            row.next_attempt_at = now + ctx.backoff(sending.attempts)
        else:
            row.state = OutboxState.failed
            row.body_sealed = None
            row.error_code = result.code
            row.reason = (
                "attempts_exhausted"
                if result.retry
                else f"twilio_{result.code}"
                if result.code
                else f"http_{result.http_status}"
            )
            if result.code == UNSUBSCRIBED:
                contact = await repository.contact(session, sending.conversation_id, lock=True)
                if contact is not None:
                    contact.opted_out = True
    logger.info(
        "sms send",
        extra={
            "outbound_id": str(sending.id),
            "ok": result.ok,
            "retry": result.retry,
            "http_status": result.http_status or "-",
            "code": result.code or "-",
            "attempt": sending.attempts,
        },
    )


# ---- 4. status callbacks ----


def parse_status(params: FormParams) -> StatusReport:
    sid = params.first("MessageSid") or params.first("SmsSid") or ""
    status = (params.first("MessageStatus") or params.first("SmsStatus") or "").lower()
    if not MESSAGE_SID.match(sid) or not status or len(status) > 16:
        raise InvalidWebhook()
    try:
        code = int(params.first("ErrorCode") or 0) or None
    except ValueError:
        code = None
    return StatusReport(message_sid=sid, status=status, error_code=code)


def outbound_id_of(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


async def record_status(
    sessionmaker: async_sessionmaker[AsyncSession], outbound_id: uuid.UUID | None, report: StatusReport
) -> bool:
    """Merge one status callback. False when it names no message of ours (acknowledged all the same)."""
    async with sessionmaker() as session, session.begin():
        row = await repository.outbound_for_status(session, outbound_id, report.message_sid)
        if row is None or (row.twilio_sid is not None and row.twilio_sid != report.message_sid):
            logger.info("sms status for no message of ours", extra={"message_sid": report.message_sid})
            return False
        row.twilio_sid = report.message_sid
        merged = merge_status(row.delivery_status, report.status)
        if merged != row.delivery_status:
            row.delivery_status = merged
            if merged == report.status and report.error_code:
                row.error_code = report.error_code
        row.updated_at = utcnow()
        if report.error_code == UNSUBSCRIBED:
            contact = await repository.contact(session, row.conversation_id, lock=True)
            if contact is not None:
                contact.opted_out = True
        merged_status = row.delivery_status
    logger.info(
        "sms status",
        extra={"message_sid": report.message_sid, "reported": report.status, "status": merged_status},
    )
    return True
