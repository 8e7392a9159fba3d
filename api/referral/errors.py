from typing import Any, ClassVar

from api.errors import AppError, Conflict, NotFound
from api.i18n import Translator


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


class InvalidAnswers(AppError):
    """An agency referral's answers do not fit its flow: one problem per question at fault, in the flow's
    order (`answers.<question id>` and why). Nothing is stored."""

    error = "invalid_answers"
    status_code = 422
    message_key = "error.referral.invalid_answers"
    example_detail: ClassVar[Any] = [{"field": "answers.hate_strand", "message": "is not one of the choices"}]

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__()
        self.problems = problems

    def detail(self, translator: Translator, locale: str) -> list[dict[str, str]]:
        return [{"field": field, "message": message} for field, message in self.problems]


class SafeguardingRoleRequired(AppError):
    """A safeguarding basis (no consent) recorded by a referrer whose role may not record one."""

    error = "safeguarding_role_required"
    status_code = 422
    message_key = "error.referral.safeguarding_role_required"


class ConsentGiverInvalid(AppError):
    """Who gave consent does not fit the person's age (a parent for an adult; a young person under 13)."""

    error = "consent_giver_invalid"
    status_code = 422
    message_key = "error.referral.consent_giver_invalid"


class CallbackUnavailable(AppError):
    error = "callback_unavailable"
    status_code = 409
    message_key = "error.referral.callback_unavailable"
