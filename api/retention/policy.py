"""The retention policy as data: one source for disposal and for what the privacy notice says.

Every stored referral carries its class (`Referral.retention_class`) and the moment its clock started
(`Referral.retention_from`, None while the rule waits for its event, e.g. a case's closure). The disposal
date is that moment plus the class's period, read from settings when disposal runs, so a period the
controller changes applies to every record at once, and the notice (rendered from the same settings by
`notice_params`) never says something else. Conversations, SMS rows, idempotency records and call-back
windows have rules by age (`RULES`), checked by disposal from their own timestamps.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from api.config import Settings
from api.triage.schemas import Outcome, Queue


class RetentionClass(StrEnum):
    """The classes of a referral's retention (what `Referral.retention_class` holds)."""

    not_taken_up = "not_taken_up"  # referred, no service has accepted it yet
    hate_crime = "hate_crime"  # a hate crime case a service took up
    victim_support = "victim_support"  # ASB/mediation, DA victim, DA perpetrator, taken up
    childrens_front_door = "childrens_front_door"  # taken up by the children's front door
    signposting = "signposting"  # signposted (no service queue), or the signposting queue
    withdrawn = "withdrawn"  # consent withdrawn
    # A case held without consent (police feed, consent to seek) whose person declined at first contact:
    # never taken up, on the same period and clock as `not_taken_up`, but a class of its own so that the
    # reconciler never moves it to a taken-up class because a caseworker accepted it before asking.
    consent_declined = "consent_declined"


class Clock(StrEnum):
    receipt = "receipt"
    closure = "closure"
    withdrawal = "withdrawal"


VICTIM_SUPPORT_QUEUES = frozenset(
    {Queue.ASB_MEDIATION, Queue.DOMESTIC_ABUSE_VICTIM, Queue.DOMESTIC_ABUSE_PERPETRATOR}
)

# The clock each class's period runs from.
CLOCKS: dict[RetentionClass, Clock] = {
    RetentionClass.not_taken_up: Clock.receipt,
    RetentionClass.hate_crime: Clock.receipt,
    RetentionClass.victim_support: Clock.closure,
    RetentionClass.childrens_front_door: Clock.closure,
    RetentionClass.signposting: Clock.receipt,
    RetentionClass.withdrawn: Clock.withdrawal,
    RetentionClass.consent_declined: Clock.receipt,
}


@dataclass(frozen=True)
class Period:
    """A calendar period: months (years are 12 months) plus a fixed duration."""

    months: int = 0
    delta: timedelta = timedelta(0)

    def before(self, moment: datetime) -> datetime:
        """`moment` minus this period: a record whose clock started at or before it is due."""
        return _add_months(moment, -self.months) - self.delta

    def after(self, moment: datetime) -> datetime:
        return _add_months(moment, self.months) + self.delta


def _add_months(moment: datetime, months: int) -> datetime:
    if months == 0:
        return moment
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def period(settings: Settings, cls: RetentionClass) -> Period:
    match cls:
        case RetentionClass.not_taken_up | RetentionClass.consent_declined:
            return Period(months=settings.retention_not_taken_up_months)
        case RetentionClass.hate_crime:
            return Period(months=12 * settings.retention_hate_crime_years)
        case RetentionClass.victim_support:
            return Period(months=12 * settings.retention_case_years)
        case RetentionClass.childrens_front_door:
            return Period(months=12 * settings.retention_children_years)
        case RetentionClass.signposting:
            return Period(months=settings.retention_signposting_months)
        case RetentionClass.withdrawn:
            return Period(delta=timedelta(days=settings.retention_withdrawn_days))


def at_receipt(outcome: str, queue: str | None) -> RetentionClass:
    """The class a referral gets when it is stored: signposting, else not yet taken up."""
    if outcome != Outcome.REFERRED or queue is None or queue == Queue.SIGNPOST_OTHER:
        return RetentionClass.signposting
    return RetentionClass.not_taken_up


def when_taken_up(queue: str | None) -> RetentionClass:
    """The class once a service has accepted the case (its primary queue decides)."""
    if queue == Queue.HATE_CRIME:
        return RetentionClass.hate_crime
    if queue == Queue.CHILDREN_FRONT_DOOR:
        return RetentionClass.childrens_front_door
    if queue in VICTIM_SUPPORT_QUEUES:
        return RetentionClass.victim_support
    return RetentionClass.signposting


def dispose_after(settings: Settings, cls: str, retention_from: datetime | None) -> datetime | None:
    """A referral's disposal date, or None while its rule waits for its event (a closure)."""
    if retention_from is None:
        return None
    return period(settings, RetentionClass(cls)).after(retention_from)


# ---- records with rules by age (no class column: their own timestamps start the clock) ----


@dataclass(frozen=True)
class Rule:
    store: str
    clock: str
    setting: str
    purpose: str


RULES: tuple[Rule, ...] = (
    Rule(
        "conversation without referral",
        "last message",
        "retention_conversation_hours",
        "rows, SMS rows and Rasa transcript of a conversation that made no referral",
    ),
    Rule(
        "Rasa transcript after a referral",
        "hand-off or last message, whichever is later",
        "retention_transcript_minutes",
        "the referral holds what the service needs",
    ),
    Rule(
        "SMS bot session",
        "last message",
        "retention_sms_session_minutes",
        "an SMS conversation never ends: its transcript goes after inactivity",
    ),
    Rule(
        "SMS delivery metadata",
        "last status",
        "retention_sms_metadata_days",
        "de-duplicating Twilio's re-deliveries and status callbacks",
    ),
    Rule("idempotency record", "first request", "retention_idempotency_hours", "replaying a retried POST"),
    Rule(
        "call-back window",
        "end of the window",
        "retention_callback_days",
        "the caseworker calls in the window",
    ),
    Rule(
        "agency-form session",
        "last request",
        "agency_form_idle_minutes",
        "signed in to /refer (web_session, ids only; AGENCY_FORM_SESSION_HOURS at most); then deleted",
    ),
    Rule(
        "console session",
        "last request",
        "console_idle_minutes",
        "signed in to /console (web_session, ids only; CONSOLE_SESSION_HOURS at most); then deleted",
    ),
)


def conversation_period(settings: Settings) -> timedelta:
    return timedelta(hours=settings.retention_conversation_hours)


def transcript_period(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.retention_transcript_minutes)


def sms_session_period(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.retention_sms_session_minutes)


def sms_metadata_period(settings: Settings) -> timedelta:
    return timedelta(days=settings.retention_sms_metadata_days)


def idempotency_period(settings: Settings) -> timedelta:
    return timedelta(hours=settings.retention_idempotency_hours)


def callback_period(settings: Settings) -> timedelta:
    return timedelta(days=settings.retention_callback_days)


# ---- what the privacy notice and the withdrawal message say ----


def notice_params(settings: Settings) -> dict[str, int]:
    """The placeholders of `bot.consent.privacy_notice` and `bot.consent.withdrawn_referral`, from the
    same settings disposal reads (tests/api/retention/test_notice.py proves they agree in every language)."""
    return {
        "retention_not_taken_up_months": settings.retention_not_taken_up_months,
        "retention_case_years": settings.retention_case_years,
        "retention_hate_crime_years": settings.retention_hate_crime_years,
        "retention_withdrawn_days": settings.retention_withdrawn_days,
    }


def table(settings: Settings) -> list[tuple[str, str, str]]:
    """The policy as implemented: (class or store, clock start, period), for the README and operators."""
    rows = [(str(cls), str(CLOCKS[cls]), _describe(period(settings, cls))) for cls in RetentionClass]
    for rule in RULES:
        value = getattr(settings, rule.setting, None)
        rows.append(
            (rule.store, rule.clock, f"{rule.setting}={value}" if value is not None else rule.setting)
        )
    return rows


def _describe(value: Period) -> str:
    if value.months and value.months % 12 == 0:
        return f"{value.months // 12} years"
    if value.months:
        return f"{value.months} months"
    return f"{value.delta.days} days"
