"""Web chat: the person's side of a conversation, an adapter over the conversation core
(api/conversation). No account; the conversation id is the capability."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.auth import public
from api.chat.schemas import ConversationCreate, ConversationRead, MessageIn, Reply
from api.conversation import service
from api.conversation.errors import BotUnavailable, ConversationEnded, ConversationNotFound
from api.conversation.models import Channel
from api.deps import AppGateway, AppRelay, AppTrackerStore, AppTranslator, Sessions
from api.errors import InvalidRequest, error_responses

router = APIRouter(prefix="/v1/chat/conversations", tags=["web chat"])
# The person chatting has no account: the unguessable conversation id is the capability.
WEB_CHAT = public("the web chat is for the public; the conversation id is the capability")
ConversationId = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="The id returned when the conversation started.",
        examples=["w_Zk3v9Q0b2mXyS1tL8rN4pHc7dF6gJ5aE"],
    ),
]


@router.post(
    "",
    status_code=201,
    response_model=ConversationRead,
    dependencies=[WEB_CHAT],
    responses=error_responses(InvalidRequest),
)
async def start_conversation(
    body: ConversationCreate, sessions: Sessions, translator: AppTranslator
) -> ConversationRead:
    language = translator.supported(body.language)
    chosen = body.language is not None and body.language == language
    conversation = await service.start(sessions, Channel.web_chat, language, chosen=chosen)
    return ConversationRead(id=conversation.id, language=language, direction=translator.direction(language))


@router.post(
    "/{conversation_id}/messages",
    response_model=Reply,
    dependencies=[WEB_CHAT],
    responses=error_responses(ConversationNotFound, ConversationEnded, InvalidRequest, BotUnavailable),
)
async def send_message(
    conversation_id: ConversationId,
    body: MessageIn,
    sessions: Sessions,
    relay: AppRelay,
    gateway: AppGateway,
    translator: AppTranslator,
) -> Reply:
    turn = await service.send(sessions, relay, conversation_id, body.text, gateway=gateway)
    return Reply(
        conversation_id=conversation_id,
        messages=turn.messages,
        language=turn.language,
        direction=translator.direction(turn.language),
    )


@router.delete(
    "/{conversation_id}",
    status_code=204,
    dependencies=[WEB_CHAT],
    responses=error_responses(ConversationNotFound, InvalidRequest),
)
async def end_conversation(
    conversation_id: ConversationId, sessions: Sessions, relay: AppRelay, tracker: AppTrackerStore
) -> Response:
    await service.end(sessions, relay, conversation_id, tracker=tracker)
    return Response(status_code=204)
