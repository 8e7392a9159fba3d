from api.errors import AppError, Forbidden


class InvalidSignature(Forbidden):
    """`X-Twilio-Signature` is missing or does not match the request: not from Twilio, nothing kept."""

    error = "invalid_signature"


class InvalidWebhook(AppError):
    """Signed by Twilio but without what it must carry (a MessageSid, a sender number, a status): a payload
    problem, so 422 like every other payload the api refuses. Nothing is stored."""

    error = "invalid_webhook"
    status_code = 422
    message_key = "error.generic.bad_request"
