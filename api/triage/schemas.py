"""Triage shapes: what the conversation, agency form or police feed tells us, and the decision.

Field names, values and defaults are the contract in TRIAGE.md; do not rename them. Enum members are
declared in the contract's order, and every list (input lists after deduplication; `enhanced_grounds` and
`flags` in a decision) comes out in that declared order, so the same case always serialises the same way.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Annotated, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, Strict, field_serializer, field_validator

from api.triage.deadlines import LONDON


class ReporterRole(enum.StrEnum):
    SELF = "self"
    PARENT_GUARDIAN = "parent_guardian"
    THIRD_PARTY = "third_party"
    PERPETRATOR_SELF = "perpetrator_self"


class LawfulBasis(enum.StrEnum):
    CONSENT = "consent"
    POLICE_REFERRAL = "police_referral"
    SAFEGUARDING = "safeguarding"


class Consent(enum.StrEnum):
    GIVEN = "given"
    REFUSED = "refused"
    NOT_ASKED = "not_asked"


class IncidentType(enum.StrEnum):
    DOMESTIC_ABUSE = "domestic_abuse"
    HATE = "hate"
    ASB = "asb"
    SEXUAL_OFFENCE = "sexual_offence"
    OTHER_CRIME = "other_crime"
    UNSURE = "unsure"


class Relationship(enum.StrEnum):
    PARTNER = "partner"
    EX_PARTNER = "ex_partner"
    FAMILY = "family"
    HOUSEHOLD = "household"
    NEIGHBOUR = "neighbour"
    STRANGER = "stranger"
    OTHER = "other"
    UNKNOWN = "unknown"


class HateStrand(enum.StrEnum):
    RACE = "race"
    RELIGION = "religion"
    SEXUAL_ORIENTATION = "sexual_orientation"
    DISABILITY = "disability"
    TRANSGENDER = "transgender"
    OTHER = "other"


class MostSeriousCategory(enum.StrEnum):
    BEREAVED = "bereaved"
    TERRORISM = "terrorism"
    SEXUAL_OFFENCE = "sexual_offence"
    HUMAN_TRAFFICKING = "human_trafficking"
    ATTEMPTED_MURDER = "attempted_murder"
    KIDNAP = "kidnap"
    FALSE_IMPRISONMENT = "false_imprisonment"
    ARSON_ENDANGERING_LIFE = "arson_endangering_life"
    GBH_WITH_INTENT = "gbh_with_intent"


class Vulnerability(enum.StrEnum):
    MENTAL_HEALTH = "mental_health"
    LEARNING_DISABILITY = "learning_disability"
    AUTISM = "autism"
    PHYSICAL_DISABILITY = "physical_disability"
    OTHER = "other"


class ImmediateDanger(enum.StrEnum):
    YES = "yes"
    NO = "no"
    UNSURE = "unsure"


class DaRedFlag(enum.StrEnum):
    STRANGULATION = "strangulation"
    THREATS_TO_KILL = "threats_to_kill"
    WEAPON = "weapon"
    ESCALATING = "escalating"
    RECENT_SEPARATION = "recent_separation"
    PREGNANCY = "pregnancy"
    STALKING = "stalking"
    VERY_FRIGHTENED = "very_frightened"
    CHILDREN_THREATENED = "children_threatened"
    SEXUAL_ABUSE = "sexual_abuse"


class Outcome(enum.StrEnum):
    REFERRED = "referred"
    SIGNPOSTED = "signposted"
    REJECTED_NO_CONSENT = "rejected_no_consent"


class Queue(enum.StrEnum):
    HATE_CRIME = "hate_crime"
    ASB_MEDIATION = "asb_mediation"
    DOMESTIC_ABUSE_VICTIM = "domestic_abuse_victim"
    DOMESTIC_ABUSE_PERPETRATOR = "domestic_abuse_perpetrator"
    CHILDREN_FRONT_DOOR = "children_front_door"
    SIGNPOST_OTHER = "signpost_other"


class Tier(enum.StrEnum):
    ENHANCED = "enhanced"
    STANDARD = "standard"


class EnhancedGround(enum.StrEnum):
    MOST_SERIOUS_CRIME = "most_serious_crime"
    PERSISTENTLY_TARGETED = "persistently_targeted"
    VULNERABLE = "vulnerable"
    INTIMIDATED = "intimidated"


class Priority(enum.StrEnum):
    """Declared most urgent first; `queue_sort_key` relies on this order."""

    EMERGENCY = "emergency"
    HIGH = "high"
    NORMAL = "normal"


class Flag(enum.StrEnum):
    SAFEGUARDING = "safeguarding"
    HIGH_RISK_DA = "high_risk_da"
    CHILD = "child"
    CHILDREN_IN_HOUSEHOLD = "children_in_household"
    CASE_REVIEW_ELIGIBLE = "case_review_eligible"
    MEDIATION_UNSUITABLE = "mediation_unsuitable"
    HATE_AGGRAVATED = "hate_aggravated"
    EARLY_INTERVENTION = "early_intervention"
    CONSENT_TO_SEEK = "consent_to_seek"
    SAFETY_UNCLEAR = "safety_unclear"
    OUTSIDE_AREA = "outside_area"


# JSON booleans and integers only: "yes", 1 or "34" are bad values, not guesses.
StrictBool = Annotated[bool, Strict()]
Count = Annotated[int, Strict(), Field(ge=0)]
# The `holidays` calendar for England runs to 2100; a deadline is at most a couple of weeks after receipt.
RECEIVED_AT_MIN_YEAR = 2000
RECEIVED_AT_MAX_YEAR = 2099
E = TypeVar("E", bound=enum.Enum)
RuleId = Literal["R0", "R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _canonical(values: list[E], members: type[E]) -> list[E]:
    """Deduplicate, in the enum's declared order (the same set always reads the same)."""
    present = set(values)
    return [member for member in members if member in present]


class TriageInput(BaseModel):
    """What we know about the person and what happened. Every field is optional; unknown fields are errors."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {"incident_type": "hate", "hate_strands": ["race"], "consent": "given"},
                {
                    "incident_type": "domestic_abuse",
                    "relationship": "ex_partner",
                    "consent": "given",
                    "da_red_flags": ["stalking", "threats_to_kill"],
                },
            ]
        },
    )

    reporter_role: ReporterRole = ReporterRole.SELF
    lawful_basis: LawfulBasis = LawfulBasis.CONSENT
    consent: Consent = Consent.NOT_ASKED
    age_years: Annotated[int, Strict(), Field(ge=0, le=120)] | None = None
    send: StrictBool = False
    incident_type: IncidentType = IncidentType.UNSURE
    relationship: Relationship = Relationship.UNKNOWN
    other_party_age_16_plus: StrictBool | None = None
    hate_strands: list[HateStrand] = Field(default_factory=list)
    most_serious_category: MostSeriousCategory | None = None
    repeat_targeting: StrictBool = False
    vulnerabilities: list[Vulnerability] = Field(default_factory=list)
    intimidated: StrictBool = False
    immediate_danger: ImmediateDanger = ImmediateDanger.NO
    da_red_flags: list[DaRedFlag] = Field(default_factory=list)
    da_police_reports_12m: Count = 0
    child_exposed_to_da: StrictBool = False
    child_safeguarding_concern: StrictBool = False
    perpetrator_risk_to_others: StrictBool = False
    asb_reports_6m: Count = 0
    asb_last_report_days: Count | None = None
    mediation_requested: StrictBool = False
    violence_or_threats: StrictBool = False
    lives_in_area: StrictBool = True
    received_at: AwareDatetime = Field(default_factory=_utc_now)

    @field_validator("received_at")
    @classmethod
    def _within_calendar(cls, value: datetime) -> datetime:
        # Deadlines count bank holidays, and the holiday calendar only knows years it has data for.
        if not RECEIVED_AT_MIN_YEAR <= value.astimezone(UTC).year <= RECEIVED_AT_MAX_YEAR:
            raise ValueError(f"must be in the years {RECEIVED_AT_MIN_YEAR}–{RECEIVED_AT_MAX_YEAR}")
        return value

    @field_validator("hate_strands")
    @classmethod
    def _dedupe_hate_strands(cls, value: list[HateStrand]) -> list[HateStrand]:
        return _canonical(value, HateStrand)

    @field_validator("vulnerabilities")
    @classmethod
    def _dedupe_vulnerabilities(cls, value: list[Vulnerability]) -> list[Vulnerability]:
        return _canonical(value, Vulnerability)

    @field_validator("da_red_flags")
    @classmethod
    def _dedupe_da_red_flags(cls, value: list[DaRedFlag]) -> list[DaRedFlag]:
        return _canonical(value, DaRedFlag)


class Reason(BaseModel):
    """A rule that fired and the locale key (`triage.reason.<rule>_<what>`) explaining it to a caseworker."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: RuleId
    key: str


class TriageDecision(BaseModel):
    """Where the case goes, how urgently, by when, and why. `deadline` is 17:00 Europe/London."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    outcome: Outcome
    queue: Queue | None
    secondary_queue: Queue | None
    tier: Tier | None
    enhanced_grounds: list[EnhancedGround]
    emergency: bool
    priority: Priority
    deadline: AwareDatetime | None
    flags: list[Flag]
    reasons: list[Reason]
    rules_version: str

    @field_serializer("deadline", when_used="json")
    def _deadline_in_london(self, value: datetime | None) -> str | None:
        # Pydantic writes a zero offset as "Z"; the contract reads "+00:00" in winter, "+01:00" in summer.
        return None if value is None else value.astimezone(LONDON).isoformat()
