from api.errors import AppError, Forbidden


class InvalidSignature(Forbidden):
    """`X-Twilio-Signature` is missing or does not match the request: not from Twilio, nothing kept."""

    error = "invalid_signature"


class InvalidWebhook(AppError):
    """Signed by Twilio but without what an inbound message needs (its MessageSid, a sender number)."""

    error = "invalid_webhook"
    status_code = 400
    message_key = "error.generic.bad_request"
