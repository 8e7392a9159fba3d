from api.errors import Conflict, NotFound


class ConsentNotFound(NotFound):
    error = "consent_not_found"
    message_key = "error.consent.not_found"


class ConsentNotWithdrawable(Conflict):
    error = "consent_not_withdrawable"
    message_key = "error.consent.not_withdrawable"
