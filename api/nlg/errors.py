from typing import ClassVar

from api.errors import NotFound


class UnknownResponse(NotFound):
    error = "unknown_response"
    message_key = "error.nlg.unknown_response"
    example_params: ClassVar[dict[str, str]] = {"name": "utter_example"}
