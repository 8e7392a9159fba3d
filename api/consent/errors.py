from api.errors import Conflict, NotFound


class ConsentNotFound(NotFound):
    error = "consent_not_found"
    message_key = "error.consent.not_found"


class ConsentNotWithdrawable(Conflict):
    error = "consent_not_withdrawable"
    message_key = "error.consent.not_withdrawable"


class ConsentNotSought(Conflict):
    """Consent at first contact is recorded only for a case still waiting for it (`consent_to_seek`, not
    yet satisfied, not withdrawn)."""

    error = "consent_not_sought"
    message_key = "error.consent.not_sought"
