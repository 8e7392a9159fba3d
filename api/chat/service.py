"""Web chat conversations. A turn never holds a database transaction while the bot is thinking:
Rasa calls back into this api (NLG, referrals) during the turn, and SQLite has one writer at a time."""

from __future__ import annotations

import secrets

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.chat.errors import ConversationEnded, ConversationNotFound
from api.chat.gateway import CHOOSE_LANGUAGE, Gateway
from api.chat.models import Conversation
from api.chat.relay import RasaRelay
from api.chat.schemas import BotMessage
from api.chat.tracker import TrackerStore
from api.kit.models import utcnow


def new_conversation_id() -> str:
    return "w_" + secrets.token_urlsafe(24)


async def start(
    sessionmaker: async_sessionmaker[AsyncSession],
    channel: str,
    language: str,
    *,
    chosen: bool = False,
    conversation_id: str | None = None,
) -> Conversation:
    """A new conversation. `chosen`: the person picked the language (the web page's picker); otherwise
    their first message picks it (see api/chat/gateway.py)."""
    conversation = Conversation(
        id=conversation_id or new_conversation_id(),
        channel=channel,
        language=language,
        language_source="chosen" if chosen else "default",
    )
    async with sessionmaker() as session, session.begin():
        session.add(conversation)
    return conversation


async def send(
    sessionmaker: async_sessionmaker[AsyncSession],
    relay: RasaRelay,
    conversation_id: str,
    text: str,
    *,
    gateway: Gateway,
) -> list[BotMessage]:
    """One message from the person, through the gateway (danger first, then the language), to the bot."""
    async with sessionmaker() as session, session.begin():
        conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            raise ConversationNotFound()
        if conversation.ended_at is not None:
            raise ConversationEnded()
        first = conversation.last_message_at is None
        inbound = gateway.inbound(
            text,
            first=first,
            language_chosen=conversation.language_source == "chosen",
            menu_open=conversation.language_menu_open,
        )
        if inbound.detected_language is not None:
            conversation.language = inbound.detected_language
            conversation.language_source = "detected"
        conversation.last_message_at = utcnow()
        language, source = conversation.language, conversation.language_source
        was_menu_open = conversation.language_menu_open
        metadata = {"language": language, "channel": conversation.channel}
    turn = await relay.exchange(conversation_id, inbound.text, metadata)
    messages = turn.messages
    if first and source != "chosen" and turn.language is None:
        note = gateway.confirmation(language, metadata["channel"])
        messages = [*messages, note] if inbound.danger else [note, *messages]
    menu_open = any(b.payload.startswith(CHOOSE_LANGUAGE + "{") for m in messages for b in m.buttons)
    switched = turn.language if turn.language in gateway.languages else None
    if switched is not None or menu_open != was_menu_open:
        async with sessionmaker() as session, session.begin():
            conversation = await session.get(Conversation, conversation_id)
            if conversation is not None:
                if switched is not None:
                    conversation.language, conversation.language_source = switched, "chosen"
                conversation.language_menu_open = menu_open
    return messages


async def language_of(sessionmaker: async_sessionmaker[AsyncSession], conversation_id: str) -> str:
    async with sessionmaker() as session:
        conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            raise ConversationNotFound()
        return conversation.language


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
        if conversation.ended_at is None:
            conversation.ended_at = utcnow()
    # Wipe the bot's memory of the conversation too; a failure here must not keep the person waiting.
    try:
        await relay.turn(conversation_id, "/restart", {"channel": "web_chat"})
    except Exception:  # noqa: S110
        pass
    # Then delete the transcript itself: the restart only appends to it (DESIGN §4: transcripts are personal
    # data). After the restart, so the restart's own events go too; Rasa's lock has let any turn finish.
    if tracker is not None:
        await tracker.forget(conversation_id)
