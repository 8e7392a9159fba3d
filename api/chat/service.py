"""Web chat conversations. A turn never holds a database transaction while the bot is thinking:
Rasa calls back into this api (NLG, referrals) during the turn, and SQLite has one writer at a time."""

from __future__ import annotations

import secrets

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.chat.errors import ConversationEnded, ConversationNotFound
from api.chat.models import Conversation
from api.chat.relay import RasaRelay
from api.chat.schemas import BotMessage
from api.chat.tracker import TrackerStore
from api.kit.models import utcnow


def new_conversation_id() -> str:
    return "w_" + secrets.token_urlsafe(24)


async def start(sessionmaker: async_sessionmaker[AsyncSession], channel: str, language: str) -> Conversation:
    conversation = Conversation(id=new_conversation_id(), channel=channel, language=language)
    async with sessionmaker() as session, session.begin():
        session.add(conversation)
    return conversation


async def send(
    sessionmaker: async_sessionmaker[AsyncSession], relay: RasaRelay, conversation_id: str, text: str
) -> list[BotMessage]:
    async with sessionmaker() as session, session.begin():
        conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            raise ConversationNotFound()
        if conversation.ended_at is not None:
            raise ConversationEnded()
        conversation.last_message_at = utcnow()
        metadata = {"language": conversation.language, "channel": conversation.channel}
    return await relay.turn(conversation_id, text, metadata)


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
