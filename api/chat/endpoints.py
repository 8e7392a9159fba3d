"""Web chat: the person's side of a conversation. No account; the conversation id is the capability."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.chat import service
from api.chat.schemas import ConversationCreate, ConversationRead, MessageIn, Reply

router = APIRouter(prefix="/v1/chat/conversations", tags=["web chat"])
PUBLIC = True  # read by the access-rule test: these routes are for the public, by design


@router.post("", status_code=201, response_model=ConversationRead)
async def start_conversation(body: ConversationCreate, request: Request) -> ConversationRead:
    translator = request.app.state.translator
    language = translator.supported(body.language)
    conversation = await service.start(request.app.state.sessionmaker, "web_chat", language)
    return ConversationRead(id=conversation.id, language=language, direction=translator.direction(language))


@router.post("/{conversation_id}/messages", response_model=Reply)
async def send_message(conversation_id: str, body: MessageIn, request: Request) -> Reply:
    messages = await service.send(
        request.app.state.sessionmaker, request.app.state.relay, conversation_id, body.text
    )
    return Reply(conversation_id=conversation_id, messages=messages)


@router.delete("/{conversation_id}", status_code=204)
async def end_conversation(conversation_id: str, request: Request) -> Response:
    await service.end(request.app.state.sessionmaker, request.app.state.relay, conversation_id)
    return Response(status_code=204)
