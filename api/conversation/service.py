"""Conversation turns, on any channel. A turn never holds a database transaction while the bot is thinking:
Rasa calls back into this api (NLG, referrals) during the turn, and SQLite has one writer at a time.

A turn has three steps, so a channel can fold the database ones into its own transactions:

1. `prepare` (in a transaction): the conversation is read once, the gateway decides what the bot gets
   (danger first, then the language), and the detected language and the time are written;
2. `exchange` (no transaction): the bot turn through the relay; `conclude` (no database) adds the language
   note and works out the conversation's state after the turn;
3. `record` (in a transaction): the language the person switched to, and whether the language menu is open,
   written only when they changed, without reading the conversation again.

`send` runs the three for the web chat. Every step returns what its callers need (`Turn`: the messages,
the language, the menu state), so nobody reads the conversation again to find out.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth import Caller
from api.conversation.errors import ConversationEnded, ConversationNotFound
from api.conversation.gateway import CHOOSE_LANGUAGE, Gateway
from api.conversation.models import Channel, Conversation, LanguageSource
from api.conversation.relay import BotTurn, RasaRelay
from api.conversation.schemas import BotMessage
from api.conversation.tracker import TrackerStore
from api.kit.models import utcnow
from api.principal.models import PrincipalKind

logger = logging.getLogger("api.conversation")


# The chat's gateway marking a conversation's cases urgent acts as the bot would (only this conversation's).
CHAT_GATEWAY = Caller(uuid.UUID(int=5), PrincipalKind.bot, "chat gateway (danger matched)")


def new_conversation_id() -> str:
    return "w_" + secrets.token_urlsafe(24)


@dataclass(frozen=True)
class PreparedTurn:
    """What goes to the bot for one message, and the conversation as it stood before the bot's turn."""

    conversation_id: str
    channel: str
    text: str  # what the bot gets: the message, or the gateway's intent (emergency, choose_language)
    danger: bool
    first: bool
    language: str
    language_source: str
    menu_was_open: bool

    @property
    def metadata(self) -> dict[str, Any]:
        return {"language": self.language, "channel": self.channel}


@dataclass(frozen=True)
class Turn:
    """What one turn produced: the messages to show, and the conversation's state after it."""

    conversation_id: str
    messages: list[BotMessage]
    language: str
    language_source: str
    menu_open: bool
    # The state changed in this turn (the person switched language, the menu opened or closed): `record`.
    changed: bool


def new_conversation(
    channel: Channel, language: str, *, chosen: bool = False, conversation_id: str | None = None
) -> Conversation:
    return Conversation(
        id=conversation_id or new_conversation_id(),
        channel=channel,
        language=language,
        language_source=LanguageSource.chosen if chosen else LanguageSource.default,
    )


async def start(
    sessionmaker: async_sessionmaker[AsyncSession],
    channel: Channel,
    language: str,
    *,
    chosen: bool = False,
    conversation_id: str | None = None,
) -> Conversation:
    """A new conversation. `chosen`: the person picked the language (the web page's picker); otherwise
    their first message picks it (see api/conversation/gateway.py)."""
    conversation = new_conversation(channel, language, chosen=chosen, conversation_id=conversation_id)
    async with sessionmaker() as session, session.begin():
        session.add(conversation)
    return conversation


async def open_for(
    session: AsyncSession, conversation_id: str, channel: Channel, language: str
) -> Conversation:
    """The conversation, started when it is new and started again when it was ended (for channels whose
    conversation id names the person's address, as SMS does). Flushes, never commits."""
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        conversation = new_conversation(channel, language, conversation_id=conversation_id)
        session.add(conversation)
        await session.flush()
    else:
        conversation.reopen()
    return conversation


async def open_existing(session: AsyncSession, conversation_id: str) -> Conversation:
    """The conversation a message is for: ConversationNotFound or ConversationEnded otherwise."""
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        raise ConversationNotFound()
    if conversation.ended_at is not None:
        raise ConversationEnded()
    return conversation


def prepare(conversation: Conversation, text: str, gateway: Gateway) -> PreparedTurn:
    """One message from the person through the gateway (danger first, then the language). Changes the
    conversation in the caller's session (the detected language, the time); the caller's transaction
    writes it."""
    first = conversation.last_message_at is None
    inbound = gateway.inbound(
        text,
        first=first,
        language_chosen=conversation.language_chosen,
        menu_open=conversation.language_menu_open,
    )
    if inbound.detected_language is not None:
        conversation.language = inbound.detected_language
        conversation.language_source = LanguageSource.detected
    conversation.last_message_at = utcnow()
    return PreparedTurn(
        conversation_id=conversation.id,
        channel=conversation.channel,
        text=inbound.text,
        danger=inbound.danger,
        first=first,
        language=conversation.language,
        language_source=conversation.language_source,
        menu_was_open=conversation.language_menu_open,
    )


async def exchange(relay: RasaRelay, prepared: PreparedTurn) -> BotTurn:
    """The bot's turn (BotUnavailable when it does not answer). Hold no transaction around it."""
    return await relay.exchange(prepared.conversation_id, prepared.text, prepared.metadata)


def conclude(prepared: PreparedTurn, bot: BotTurn, gateway: Gateway) -> Turn:
    """The turn's messages (with the first reply's note of the language) and the conversation's state."""
    messages = bot.messages
    if prepared.first and prepared.language_source != LanguageSource.chosen and bot.language is None:
        note = gateway.confirmation(prepared.language, prepared.channel)
        messages = [*messages, note] if prepared.danger else [note, *messages]
    menu_open = any(b.payload.startswith(CHOOSE_LANGUAGE + "{") for m in messages for b in m.buttons)
    switched = bot.language if bot.language in gateway.languages else None
    return Turn(
        conversation_id=prepared.conversation_id,
        messages=messages,
        language=switched or prepared.language,
        language_source=LanguageSource.chosen if switched is not None else prepared.language_source,
        menu_open=menu_open,
        changed=switched is not None or menu_open != prepared.menu_was_open,
    )


async def record(session: AsyncSession, turn: Turn) -> None:
    """Keep what the turn changed on the conversation, in the caller's transaction (no read)."""
    if not turn.changed:
        return
    await session.execute(
        update(Conversation)
        .where(Conversation.id == turn.conversation_id)
        .values(
            language=turn.language,
            language_source=turn.language_source,
            language_menu_open=turn.menu_open,
        )
        .execution_options(synchronize_session=False)
    )


async def mark_open_cases_urgent(session: AsyncSession, conversation_id: str) -> int:
    """Danger matched in a message of a conversation that already made a referral: its open cases become
    urgent in the transaction that takes the message, before the bot is asked (idempotent and audited, as
    `POST /v1/conversations/{id}/urgent`). So the mark depends on no bot action and no background task."""
    from api.rights import service as rights_service  # the rights service imports this package

    marked = await rights_service.urgent_for_conversation(session, CHAT_GATEWAY, conversation_id)
    if marked.references:
        logger.info("chat danger: cases marked urgent", extra={"count": len(marked.references)})
    return len(marked.references)


async def send(
    sessionmaker: async_sessionmaker[AsyncSession],
    relay: RasaRelay,
    conversation_id: str,
    text: str,
    *,
    gateway: Gateway,
) -> Turn:
    """One message from the person, through the gateway, to the bot and back: one transaction before the
    bot's turn, and one after it only when the turn changed the conversation."""
    async with sessionmaker() as session, session.begin():
        prepared = prepare(await open_existing(session, conversation_id), text, gateway)
        if prepared.danger:
            await mark_open_cases_urgent(session, conversation_id)
    turn = conclude(prepared, await exchange(relay, prepared), gateway)
    if turn.changed:
        async with sessionmaker() as session, session.begin():
            await record(session, turn)
    return turn


async def end(
    sessionmaker: async_sessionmaker[AsyncSession],
    relay: RasaRelay,
    conversation_id: str,
    tracker: TrackerStore | None = None,
) -> None:
    async with sessionmaker() as session, session.begin():
        conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            raise ConversationNotFound()
        conversation.end(utcnow())
    # Wipe the bot's memory of the conversation too; a failure here must not keep the person waiting.
    try:
        await relay.turn(conversation_id, "/restart", {"channel": Channel.web_chat})
    except Exception:  # noqa: S110
        pass
    # Then delete the transcript itself: the restart only appends to it (DESIGN §4: transcripts are personal
    # data). After the restart, so the restart's own events go too; Rasa's lock has let any turn finish.
    if tracker is not None:
        await tracker.forget(conversation_id)
