from api.errors import AppError


class PhoneCheckUnavailable(AppError):
    """No code can be sent: the case has no number, the person did not say texts are safe, or enough codes
    were sent already. The person carries on; the number stays unverified."""

    error = "phone_check_unavailable"
    status_code = 409
    message_key = "error.phone_check.unavailable"


class PhoneCheckNotOpen(AppError):
    """No code is waiting to be typed for this case (none was sent, or it was settled)."""

    error = "phone_check_not_open"
    status_code = 409
    message_key = "error.phone_check.not_open"
