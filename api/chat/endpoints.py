"""Web chat: the person's side of a conversation. No account; the conversation id is the capability."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from api.auth import public
from api.conversation import service
from api.conversation.errors import BotUnavailable, ConversationEnded, ConversationNotFound
from api.conversation.schemas import ConversationCreate, ConversationRead, MessageIn, Reply
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
async def start_conversation(body: ConversationCreate, request: Request) -> ConversationRead:
    translator = request.app.state.translator
    language = translator.supported(body.language)
    chosen = body.language is not None and body.language == language
    conversation = await service.start(request.app.state.sessionmaker, "web_chat", language, chosen=chosen)
    return ConversationRead(id=conversation.id, language=language, direction=translator.direction(language))


@router.post(
    "/{conversation_id}/messages",
    response_model=Reply,
    dependencies=[WEB_CHAT],
    responses=error_responses(ConversationNotFound, ConversationEnded, InvalidRequest, BotUnavailable),
)
async def send_message(conversation_id: ConversationId, body: MessageIn, request: Request) -> Reply:
    state = request.app.state
    messages = await service.send(
        state.sessionmaker, state.relay, conversation_id, body.text, gateway=state.gateway
    )
    language = await service.language_of(state.sessionmaker, conversation_id)
    return Reply(
        conversation_id=conversation_id,
        messages=messages,
        language=language,
        direction=state.translator.direction(language),
    )


@router.delete(
    "/{conversation_id}",
    status_code=204,
    dependencies=[WEB_CHAT],
    responses=error_responses(ConversationNotFound, InvalidRequest),
)
async def end_conversation(conversation_id: ConversationId, request: Request) -> Response:
    state = request.app.state
    await service.end(state.sessionmaker, state.relay, conversation_id, tracker=state.tracker_store)
    return Response(status_code=204)
