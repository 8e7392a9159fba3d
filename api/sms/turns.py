"""The worker's bot turns for inbound SMS, through the conversation core (api/conversation/service.py:
the same gateway as the web chat, danger phrases first, then the language).

One turn is two short transactions around the bot's turn, which holds none:

1. the claim: the oldest unanswered message of a conversation whose earlier messages are all answered is
   claimed (a lease), its body opened, the conversation opened (started on a number's first message, started
   again when it was ended) and read once, and the message prepared for the bot (`prepare`);
2. the bot's turn (`exchange`), then `conclude`: the messages and the conversation's state after the turn;
3. the finish: the replies go into the outbox, the conversation's changed state (`record`) and the
   numbered choices are kept, and the message is marked answered with its body wiped.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from api.conversation import service as conversation
from api.conversation.errors import BotUnavailable
from api.conversation.models import Channel
from api.conversation.schemas import MAX_MESSAGE_CHARS, BotMessage
from api.kit.models import utcnow
from api.sms import repository
from api.sms.context import LEASE, SmsContext
from api.sms.identity import inbound_aad, outbound_aad
from api.sms.models import OutboxState, SmsOutbound, new_claim
from api.sms.segments import segments
from api.sms.wording import compose, render
from flowkit.choices import nth_option

logger = logging.getLogger("api.sms")

SKIP = "/skip_question"


@dataclass(frozen=True)
class _Claimed:
    id: int
    conversation_id: str
    message_sid: str
    sender: str
    attempts: int
    local: list[str]  # keys of the SMS layer's own words, said before the bot's
    language: str  # the conversation's language, after the gateway saw the message
    prepared: conversation.PreparedTurn | None  # what goes to the bot; None when the bot is not asked


def choice_payload(text: str, last_choices: list[str]) -> str | None:
    """A bare number answering the last reply's numbered choices means that choice.

    Except when the only choice is "Skip this question": it sits under questions that may be answered with
    a number (how old are you? how many times?), where "1" is the answer, not the button."""
    return None if last_choices == [SKIP] else nth_option(text, last_choices)


def _local_words(text: str, num_media: int) -> list[str]:
    """What the SMS layer says itself: a picture cannot be read, an empty or too long message."""
    local: list[str] = []
    if num_media:
        local.append("bot.sms.media_not_read")
    if not text and not num_media:
        local.append("bot.sms.empty")
    elif len(text) > MAX_MESSAGE_CHARS:
        local.append("bot.sms.too_long")
    return local


async def _claim(ctx: SmsContext, claim: str) -> _Claimed | None:
    async with ctx.sessionmaker() as session, session.begin():
        inbound = await repository.claim_inbound(session, utcnow(), LEASE, claim)
        if inbound is None:
            return None
        contact = await repository.contact(session, inbound.conversation_id)
        body = ""
        if inbound.body_sealed is not None:
            body = ctx.vault.cipher.open(
                inbound.body_sealed, inbound_aad(inbound.message_sid).encode()
            ).decode()
        current = await conversation.open_for(
            session, inbound.conversation_id, Channel.sms, ctx.settings.default_locale
        )
        text = body.strip()
        local = _local_words(text, inbound.num_media)
        prepared = None
        if text and len(text) <= MAX_MESSAGE_CHARS:  # words for the bot (a picture's are too)
            last_choices = list(contact.last_choices) if contact else []
            prepared = conversation.prepare(current, choice_payload(text, last_choices) or text, ctx.gateway)
        return _Claimed(
            id=inbound.id,
            conversation_id=inbound.conversation_id,
            message_sid=inbound.message_sid,
            sender=inbound.sender_number,
            attempts=inbound.attempts,
            local=local,
            language=current.language,
            prepared=prepared,
        )


async def _retry_later(ctx: SmsContext, claimed: _Claimed, claim: str) -> None:
    async with ctx.sessionmaker() as session, session.begin():
        held = await repository.held_inbound(session, claimed.id, claim)
        if held is not None:
            held.retry_at(utcnow() + ctx.backoff(claimed.attempts))


async def answer_next(ctx: SmsContext) -> bool:
    """Answer one inbound message, if one is waiting its turn. True when there was work."""
    claim = new_claim()
    claimed = await _claim(ctx, claim)
    if claimed is None:
        return False
    local = list(claimed.local)
    turn: conversation.Turn | None = None
    if claimed.prepared is not None:
        try:
            bot = await conversation.exchange(ctx.relay, claimed.prepared)
        except BotUnavailable:
            if claimed.attempts < ctx.settings.sms_send_max_attempts:
                await _retry_later(ctx, claimed, claim)
                logger.warning("sms turn deferred", extra={"message_sid": claimed.message_sid})
                return True
            local.append("bot.sms.unavailable")
        else:
            turn = conversation.conclude(claimed.prepared, bot, ctx.gateway)
    language = turn.language if turn is not None else claimed.language

    def translate(key: str, **params: str) -> str:
        return ctx.translator.t(key, language, **params)

    replies = [BotMessage(text=translate(key)) for key in local] + (turn.messages if turn else [])
    text_out, choices = render(replies, translate)
    words = tuple(translate("bot.sms.lock_screen_words").split("|")) + tuple(
        ctx.translator.t("bot.sms.lock_screen_words", ctx.settings.default_locale).split("|")
    )
    parts = compose(text_out, opener=translate("bot.sms.neutral_opener"), words=words) if text_out else []
    await _finish(ctx, claimed, claim, parts, choices if turn is not None else None, turn)
    return True


async def _finish(
    ctx: SmsContext,
    claimed: _Claimed,
    claim: str,
    parts: list[str],
    choices: list[str] | None,
    turn: conversation.Turn | None,
) -> None:
    """The conversation's new state, the replies into the outbox and the message marked answered (its body
    wiped): one transaction."""
    now = utcnow()
    async with ctx.sessionmaker() as session, session.begin():
        if turn is not None:
            await conversation.record(session, turn)
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
                contact.remember_choices(choices, now)
        held.answered(now)
    logger.info("sms answered", extra={"message_sid": claimed.message_sid, "replies": len(parts)})
