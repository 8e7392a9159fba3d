from api.errors import NotFound


class UnknownResponse(NotFound):
    error = "unknown_response"
    message_key = "error.nlg.unknown_response"
