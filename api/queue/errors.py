from typing import ClassVar

from api.errors import Conflict, Forbidden, NotFound


class QueueForbidden(Forbidden):
    error = "queue_forbidden"
    message_key = "error.queue.forbidden"


class QueueEmpty(NotFound):
    error = "queue_empty"
    message_key = "error.queue.empty"


class CaseNotFound(NotFound):
    """No such entry in this queue. Another provider's entry looks exactly the same: it reveals nothing."""

    error = "case_not_found"
    message_key = "error.queue.case_not_found"


class InvalidTransition(Conflict):
    """The case's current status does not allow this change (params: status)."""

    error = "invalid_transition"
    message_key = "error.queue.invalid_transition"
    example_params: ClassVar[dict[str, str]] = {"status": "closed"}


class CaseHeldByAnother(InvalidTransition):
    """Another caseworker of the same provider holds the lease, or has accepted the case."""

    error = "case_held_by_another"
    message_key = "error.queue.held_by_another"


class LeaseLapsed(InvalidTransition):
    """The lease ran out: the case is claimable again, so it must be claimed afresh."""

    error = "lease_lapsed"
    message_key = "error.queue.lease_lapsed"
