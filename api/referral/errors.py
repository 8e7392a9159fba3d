from api.errors import AppError, Conflict, NotFound


class ReferralNotFound(NotFound):
    error = "referral_not_found"
    message_key = "error.referral.not_found"


class ConsentRequired(AppError):
    error = "consent_required"
    status_code = 422
    message_key = "error.referral.consent_required"


class UnknownConsentWording(AppError):
    error = "unknown_consent_wording"
    status_code = 422
    message_key = "error.referral.unknown_consent_wording"


class IdempotencyKeyReused(AppError):
    error = "idempotency_key_reused"
    status_code = 422
    message_key = "error.idempotency.key_reused"


class IdempotencyInProgress(Conflict):
    error = "idempotency_in_progress"
    message_key = "error.idempotency.in_progress"
