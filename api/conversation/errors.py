from api.errors import AppError, NotFound, UpstreamUnavailable


class ConversationNotFound(NotFound):
    error = "conversation_not_found"
    message_key = "error.chat.conversation_not_found"


class ConversationEnded(AppError):
    error = "conversation_ended"
    status_code = 410
    message_key = "error.chat.conversation_ended"


class BotUnavailable(UpstreamUnavailable):
    error = "bot_unavailable"
    message_key = "error.chat.bot_unavailable"
