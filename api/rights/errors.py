"""The rights feature's expected outcomes."""

from __future__ import annotations

from typing import ClassVar

from api.errors import AppError, Conflict, NotFound


class NothingHeld(NotFound):
    """No case matches: for the data-protection officer this is an answer ("nothing held"), not a secret."""

    error = "nothing_held"
    message_key = "error.rights.nothing_held"


class InvalidSubject(AppError):
    """The request names no way to find the person, or more than one, or a value that cannot be one."""

    error = "invalid_subject"
    status_code = 422
    message_key = "error.rights.invalid_subject"


class ErasureRefused(Conflict):
    """The case must be kept: a legal hold, or a safeguarding basis (the person's consent is not what
    the service holds it on). `reason` is a code, never personal data."""

    error = "erasure_refused"
    message_key = "error.rights.erasure_refused"
    example_params: ClassVar[dict[str, str]] = {"reason": "safeguarding"}


class ErasureUnavailable(Conflict):
    """Erasure is not wired to the retention engine in this build (api/retention/disposal.py absent)."""

    error = "erasure_unavailable"
    message_key = "error.rights.erasure_unavailable"
