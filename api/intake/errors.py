"""Intake's expected outcomes (what spans features: re-triage)."""

from __future__ import annotations

from api.errors import AppError, Conflict


class RetriageUnchanged(AppError):
    """The re-triage changed none of the answers: nothing to decide again."""

    error = "retriage_unchanged"
    status_code = 422
    message_key = "error.retriage.unchanged"


class RetriageNotRoutable(Conflict):
    """The changed answers route the case to no service queue (signposted, or no consent)."""

    error = "retriage_not_routable"
    message_key = "error.retriage.not_routable"
