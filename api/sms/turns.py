"""The worker's bot turns for inbound SMS, through the conversation core (api/conversation/service.py:
the same gateway as the web chat, danger phrases first, then the language).

One turn is short transactions around the bot's turn, which holds none:

1. the claim (`_take`), committed alone: the oldest unanswered message of a conversation whose earlier
   messages are all answered is claimed (a lease, one more attempt). Nothing in it reads the row's content,
   so one bad row cannot roll the claim back and stop every other conversation;
2. the preparation (`_prepare`): its body opened, the conversation opened (started on a number's first
   message, started again when it was ended), the message prepared for the bot (`prepare`), and the row
   marked `bot_asked_at` before the bot is asked;
3. the bot's turn (with a key made from the MessageSid in its metadata; a row already marked is first
   looked up in Rasa's tracker, api/sms/seen.py, so a turn Rasa took is never replayed), then `conclude`;
4. the finish: the replies go into the outbox, the conversation's changed state (`record`) and the
   numbered choices are kept, and the message is marked answered with its body wiped.

Any error in 2–4 is this row's alone (`_fail`): retried with back-off, and after SMS_TURN_MAX_ATTEMPTS the
row is a dead letter (status `dead`, its error's type kept) that an admin lists and retries with
`python -m api sms dead-letters list|retry ID`; the conversation's later messages go on.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from api.conversation import service as conversation
from api.conversation.errors import BotUnavailable
from api.conversation.models import Channel
from api.conversation.relay import BotTurn
from api.conversation.schemas import MAX_MESSAGE_CHARS, BotMessage
from api.kit.models import utcnow
from api.sms import repository
from api.sms.context import SmsContext
from api.sms.identity import inbound_aad, outbound_aad
from api.sms.models import OutboxState, SmsOutbound, new_claim
from api.sms.seen import turn_key
from api.sms.segments import segments
from api.sms.wording import compose, render
from flowkit.choices import nth_option

logger = logging.getLogger("api.sms")

SKIP = "/skip_question"
SAFETY_KEYWORDS = ("STOP", "START")  # their replies are never held back by the send limit


@dataclass(frozen=True)
class _Taken:
    """The claimed row as it stood when claimed: what the later steps need, sealed body included."""

    id: int
    conversation_id: str
    message_sid: str
    sender: str
    attempts: int
    body_sealed: bytes | None
    num_media: int
    opt_out_type: str | None  # STOP | START | HELP (Twilio's keywords)
    bot_asked: bool  # an earlier attempt sent the text to the bot and did not record the answer


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
    bot_asked: bool
    # The replies are safety SMS, never held back by the per-number send limit: the message matched a
    # danger phrase (the 999 advice), or is STOP/START.
    safety: bool


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


async def _take(ctx: SmsContext, claim: str) -> _Taken | None:
    """The claim alone, committed at once: nothing in it can fail on one row's content, so one bad row
    never rolls back the claim (which would head every next claim again and stop the helpline)."""
    async with ctx.sessionmaker() as session, session.begin():
        inbound = await repository.claim_inbound(session, utcnow(), ctx.lease, claim)
        if inbound is None:
            return None
        return _Taken(
            id=inbound.id,
            conversation_id=inbound.conversation_id,
            message_sid=inbound.message_sid,
            sender=inbound.sender_number,
            attempts=inbound.attempts,
            body_sealed=inbound.body_sealed,
            num_media=inbound.num_media,
            opt_out_type=inbound.opt_out_type,
            bot_asked=inbound.bot_asked_at is not None,
        )


async def _prepare(ctx: SmsContext, taken: _Taken, claim: str) -> _Claimed | None:
    """Open the body and the conversation and prepare the bot's turn; mark the row before the bot is
    asked (committed with the conversation's state). None when our lease lapsed meanwhile."""
    async with ctx.sessionmaker() as session, session.begin():
        held = await repository.held_inbound(session, taken.id, claim)
        if held is None:
            return None
        contact = await repository.contact(session, taken.conversation_id)
        body = ""
        if taken.body_sealed is not None:
            body = ctx.vault.cipher.open(taken.body_sealed, inbound_aad(taken.message_sid).encode()).decode()
        current = await conversation.open_for(
            session, taken.conversation_id, Channel.sms, ctx.settings.default_locale
        )
        text = body.strip()
        local = _local_words(text, taken.num_media)
        prepared = None
        if text and len(text) <= MAX_MESSAGE_CHARS:  # words for the bot (a picture's are too)
            last_choices = list(contact.last_choices) if contact else []
            prepared = conversation.prepare(current, choice_payload(text, last_choices) or text, ctx.gateway)
            if held.bot_asked_at is None:
                held.bot_asked_at = utcnow()
        return _Claimed(
            id=taken.id,
            conversation_id=taken.conversation_id,
            message_sid=taken.message_sid,
            sender=taken.sender,
            attempts=taken.attempts,
            local=local,
            language=current.language,
            prepared=prepared,
            bot_asked=taken.bot_asked,
            safety=(prepared is not None and prepared.danger) or taken.opt_out_type in SAFETY_KEYWORDS,
        )


async def _retry_later(ctx: SmsContext, claimed: _Claimed, claim: str) -> None:
    async with ctx.sessionmaker() as session, session.begin():
        held = await repository.held_inbound(session, claimed.id, claim)
        if held is not None:
            held.retry_at(utcnow() + ctx.backoff(claimed.attempts))


async def _fail(ctx: SmsContext, taken: _Taken, claim: str, error: str) -> None:
    """One row's failure, in its own transaction: retried with back-off, or a dead letter once
    SMS_TURN_MAX_ATTEMPTS are spent. The other rows' turns go on."""
    now = utcnow()
    async with ctx.sessionmaker() as session, session.begin():
        held = await repository.held_inbound(session, taken.id, claim)
        if held is None:
            return
        dead = held.failed_attempt(
            error, now + ctx.backoff(taken.attempts), ctx.settings.sms_turn_max_attempts, now
        )
    log = logger.error if dead else logger.warning
    log(
        "sms turn dead-lettered" if dead else "sms turn failed",
        extra={"message_sid": taken.message_sid, "error_type": error, "attempt": taken.attempts},
    )


async def _ask_bot(ctx: SmsContext, claimed: _Claimed) -> BotTurn:
    """The bot's turn for this message, exactly once: when an earlier attempt already sent it, Rasa's
    tracker is asked first and the answer it kept is used (api/sms/seen.py)."""
    assert claimed.prepared is not None
    if claimed.bot_asked and ctx.seen is not None:
        kept = await ctx.seen.answer(claimed.conversation_id, turn_key(claimed.message_sid))
        if kept is not None:
            logger.info("sms turn recovered from the tracker", extra={"message_sid": claimed.message_sid})
            return kept
    prepared = claimed.prepared
    metadata = {**prepared.metadata, "message_id": turn_key(claimed.message_sid)}
    return await ctx.relay.exchange(prepared.conversation_id, prepared.text, metadata)


async def answer_next(ctx: SmsContext) -> bool:
    """Answer one inbound message, if one is waiting its turn. True when there was work.

    Whatever goes wrong with this one message (its body no longer opens, the turn raises) is handled
    here, for this row only."""
    claim = new_claim()
    taken = await _take(ctx, claim)
    if taken is None:
        return False
    try:
        await _answer(ctx, taken, claim)
    except Exception as exc:
        await _fail(ctx, taken, claim, type(exc).__name__)
    return True


async def _answer(ctx: SmsContext, taken: _Taken, claim: str) -> None:
    claimed = await _prepare(ctx, taken, claim)
    if claimed is None:
        return
    local = list(claimed.local)
    turn: conversation.Turn | None = None
    if claimed.prepared is not None:
        try:
            bot = await _ask_bot(ctx, claimed)
        except BotUnavailable:
            if claimed.attempts < ctx.settings.sms_send_max_attempts:
                await _retry_later(ctx, claimed, claim)
                logger.warning("sms turn deferred", extra={"message_sid": claimed.message_sid})
                return
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
                    safety=claimed.safety,
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
