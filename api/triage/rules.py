"""The triage rules R0–R9 of TRIAGE.md as one pure function: `evaluate(TriageInput) -> TriageDecision`.

Rules run in order. R1 and R2 end triage without a referral. From R3 on, the first rule that sets the
queue wins and every later rule whose condition holds still adds its flags and may raise the priority
("flags accumulate"). R4–R9 are the routing rules: the first of them that matches is the *route*; R3 (a
child at risk of significant harm) takes the queue for the children's front door and keeps the route as
`secondary_queue`.

Each effect a rule has is explained by one reason `{rule, key}`; `REASONS` lists every reason the rules can
emit and a test proves each key exists in `locales/triage.en.yml`. Changing what any input produces is a
new `RULES_VERSION`.
"""

from __future__ import annotations

from api.triage.deadlines import DeadlineKind, contact_deadline
from api.triage.schemas import (
    Consent,
    EnhancedGround,
    Flag,
    ImmediateDanger,
    IncidentType,
    LawfulBasis,
    MostSeriousCategory,
    Outcome,
    Priority,
    Queue,
    Reason,
    ReporterRole,
    RuleId,
    Tier,
    TriageDecision,
    TriageInput,
)

RULES_VERSION = "2026-12-06.1"

# Ages in the contract: under 18 is a child; the Domestic Abuse Act 2021 covers people aged 16 and over;
# services extend to 25 for a young person with special educational needs or a disability.
ADULT_AGE = 18
DA_ACT_MIN_AGE = 16
SEND_MAX_AGE = 25
# R6: three or more police call-outs for domestic abuse in 12 months is high risk on its own (SafeLives).
DA_HIGH_RISK_POLICE_REPORTS = 3
# R8: the ASB case review threshold (ours: three reports in six months, the last within 31 days).
ASB_CASE_REVIEW_REPORTS = 3
ASB_CASE_REVIEW_LAST_REPORT_DAYS = 31

_SEXUAL_OR_DOMESTIC = frozenset({IncidentType.SEXUAL_OFFENCE, IncidentType.DOMESTIC_ABUSE})


def _reason(rule: RuleId, what: str) -> Reason:
    return Reason(rule=rule, key=f"triage.reason.{rule.lower()}_{what}")


R0_IMMEDIATE_DANGER = _reason("R0", "immediate_danger")
R0_SAFETY_UNCLEAR = _reason("R0", "safety_unclear")
R1_REJECTED_NO_CONSENT = _reason("R1", "rejected_no_consent")
R1_SIGNPOSTED_NO_CONSENT = _reason("R1", "signposted_no_consent")
R1_CONSENT_TO_SEEK = _reason("R1", "consent_to_seek")
R2_OUTSIDE_AREA = _reason("R2", "outside_area")
R3_CHILD_SAFEGUARDING = _reason("R3", "child_safeguarding")
R4_CHILD_DA_CONTEXT = _reason("R4", "child_da_context")
R4_UNDER_16 = _reason("R4", "under_16")
R4_HIGH_RISK_DA = _reason("R4", "high_risk_da")
R5_PERPETRATOR_SELF_REFERRAL = _reason("R5", "perpetrator_self_referral")
R5_RISK_TO_OTHERS = _reason("R5", "risk_to_others")
R5_EARLY_INTERVENTION = _reason("R5", "early_intervention")
R6_DOMESTIC_ABUSE_VICTIM = _reason("R6", "domestic_abuse_victim")
R6_HIGH_RISK_DA = _reason("R6", "high_risk_da")
R6_CHILDREN_IN_HOUSEHOLD = _reason("R6", "children_in_household")
R6_HATE_AGGRAVATED = _reason("R6", "hate_aggravated")
R6_MEDIATION_UNSUITABLE = _reason("R6", "mediation_unsuitable")
R7_HATE_CRIME = _reason("R7", "hate_crime")
R8_ASB = _reason("R8", "asb")
R8_CASE_REVIEW_ELIGIBLE = _reason("R8", "case_review_eligible")
R8_MEDIATION_UNSUITABLE = _reason("R8", "mediation_unsuitable")
R9_SIGNPOST_OTHER = _reason("R9", "signpost_other")

REASONS: tuple[Reason, ...] = (
    R0_IMMEDIATE_DANGER,
    R0_SAFETY_UNCLEAR,
    R1_REJECTED_NO_CONSENT,
    R1_SIGNPOSTED_NO_CONSENT,
    R1_CONSENT_TO_SEEK,
    R2_OUTSIDE_AREA,
    R3_CHILD_SAFEGUARDING,
    R4_CHILD_DA_CONTEXT,
    R4_UNDER_16,
    R4_HIGH_RISK_DA,
    R5_PERPETRATOR_SELF_REFERRAL,
    R5_RISK_TO_OTHERS,
    R5_EARLY_INTERVENTION,
    R6_DOMESTIC_ABUSE_VICTIM,
    R6_HIGH_RISK_DA,
    R6_CHILDREN_IN_HOUSEHOLD,
    R6_HATE_AGGRAVATED,
    R6_MEDIATION_UNSUITABLE,
    R7_HATE_CRIME,
    R8_ASB,
    R8_CASE_REVIEW_ELIGIBLE,
    R8_MEDIATION_UNSUITABLE,
    R9_SIGNPOST_OTHER,
)
REASON_KEYS: frozenset[str] = frozenset(reason.key for reason in REASONS)

_FLAG_ORDER = tuple(Flag)


def _at_least_high(priority: Priority) -> Priority:
    return Priority.EMERGENCY if priority is Priority.EMERGENCY else Priority.HIGH


def is_child(case: TriageInput) -> bool:
    return case.age_years is not None and case.age_years < ADULT_AGE


def is_young_send(case: TriageInput) -> bool:
    return case.send and case.age_years is not None and ADULT_AGE <= case.age_years <= SEND_MAX_AGE


def is_hate(case: TriageInput) -> bool:
    return case.incident_type is IncidentType.HATE or bool(case.hate_strands)


def _da_high_risk(case: TriageInput) -> bool:
    """R6's risk screen: any Dash red flag, or three or more police call-outs in 12 months."""
    return bool(case.da_red_flags) or case.da_police_reports_12m >= DA_HIGH_RISK_POLICE_REPORTS


def enhanced_grounds(case: TriageInput) -> list[EnhancedGround]:
    """The Victims' Code grounds for an enhanced service that hold, in declared order (several may hold)."""
    grounds: list[EnhancedGround] = []
    if (
        case.incident_type is IncidentType.DOMESTIC_ABUSE
        or case.incident_type is IncidentType.SEXUAL_OFFENCE
        or is_hate(case)
        or case.most_serious_category is not None
    ):
        grounds.append(EnhancedGround.MOST_SERIOUS_CRIME)
    if case.repeat_targeting:
        grounds.append(EnhancedGround.PERSISTENTLY_TARGETED)
    if is_child(case) or is_young_send(case) or case.vulnerabilities:
        grounds.append(EnhancedGround.VULNERABLE)
    if (
        case.intimidated
        or case.incident_type in _SEXUAL_OR_DOMESTIC
        or case.most_serious_category is MostSeriousCategory.HUMAN_TRAFFICKING
    ):
        grounds.append(EnhancedGround.INTIMIDATED)
    return grounds


def _ordered(flags: set[Flag]) -> list[Flag]:
    return [flag for flag in _FLAG_ORDER if flag in flags]


def _not_referred(
    outcome: Outcome, emergency: bool, priority: Priority, flags: set[Flag], reasons: list[Reason]
) -> TriageDecision:
    return TriageDecision.model_construct(
        outcome=outcome,
        queue=None,
        secondary_queue=None,
        tier=None,
        enhanced_grounds=[],
        emergency=emergency,
        priority=priority,
        deadline=None,
        flags=_ordered(flags),
        reasons=reasons,
        rules_version=RULES_VERSION,
    )


def evaluate(case: TriageInput) -> TriageDecision:
    """Triage one case. Pure and deterministic: the same input always gives the same decision."""
    flags: set[Flag] = set()
    reasons: list[Reason] = []
    emergency = False
    priority = Priority.NORMAL

    # R0 emergency: holds whatever follows, even when nothing is referred (the person still hears "call 999").
    if case.immediate_danger is ImmediateDanger.YES:
        emergency = True
        priority = Priority.EMERGENCY
        reasons.append(R0_IMMEDIATE_DANGER)
    elif case.immediate_danger is ImmediateDanger.UNSURE:
        flags.add(Flag.SAFETY_UNCLEAR)
        priority = _at_least_high(priority)
        reasons.append(R0_SAFETY_UNCLEAR)

    # R1 consent. Police referrals and safeguarding proceed; consent is sought at first contact.
    if case.lawful_basis is LawfulBasis.CONSENT:
        if case.consent is not Consent.GIVEN:
            if case.reporter_role is ReporterRole.THIRD_PARTY:
                reasons.append(R1_REJECTED_NO_CONSENT)
                return _not_referred(Outcome.REJECTED_NO_CONSENT, emergency, priority, flags, reasons)
            reasons.append(R1_SIGNPOSTED_NO_CONSENT)
            return _not_referred(Outcome.SIGNPOSTED, emergency, priority, flags, reasons)
    else:
        flags.add(Flag.CONSENT_TO_SEEK)
        reasons.append(R1_CONSENT_TO_SEEK)

    # R2 area.
    if not case.lives_in_area:
        flags.add(Flag.OUTSIDE_AREA)
        reasons.append(R2_OUTSIDE_AREA)
        return _not_referred(Outcome.SIGNPOSTED, emergency, priority, flags, reasons)

    child = is_child(case)
    da = case.incident_type is IncidentType.DOMESTIC_ABUSE
    hate = is_hate(case)
    perpetrator = case.reporter_role is ReporterRole.PERPETRATOR_SELF

    # R3 child safeguarding: takes the queue; the route R4–R9 choose becomes the secondary queue.
    safeguarding_concern = case.child_safeguarding_concern
    if safeguarding_concern:
        flags.add(Flag.SAFEGUARDING)
        priority = _at_least_high(priority)
        reasons.append(R3_CHILD_SAFEGUARDING)

    route: Queue | None = None
    da_secondary: Queue | None = None

    # R4 children and domestic abuse. Under 16 on either side, the DA Act does not apply: this is child abuse.
    under_16 = da and (
        (case.age_years is not None and case.age_years < DA_ACT_MIN_AGE)
        or case.other_party_age_16_plus is False
    )
    if under_16:
        route = Queue.CHILDREN_FRONT_DOOR
        flags.add(Flag.SAFEGUARDING)
        priority = _at_least_high(priority)
        reasons.append(R4_UNDER_16)
    elif child and (da or case.child_exposed_to_da or perpetrator):
        route = Queue.CHILDREN_FRONT_DOOR
        reasons.append(R4_CHILD_DA_CONTEXT)
        # A 16- or 17-year-old harmed in their own relationship (both parties 16+, so the DA Act applies) gets
        # R6's risk screen as an adult would, and more: high risk in a child is a safeguarding concern too.
        if da and not perpetrator and _da_high_risk(case):
            flags.update((Flag.HIGH_RISK_DA, Flag.SAFEGUARDING))
            priority = _at_least_high(priority)
            reasons.append(R4_HIGH_RISK_DA)

    # R5 perpetrator self-referral (adult).
    if perpetrator and not child:
        if route is None:
            route = Queue.DOMESTIC_ABUSE_PERPETRATOR
            reasons.append(R5_PERPETRATOR_SELF_REFERRAL)
        if case.perpetrator_risk_to_others or case.child_exposed_to_da:
            flags.add(Flag.SAFEGUARDING)
            priority = _at_least_high(priority)
            reasons.append(R5_RISK_TO_OTHERS)
        else:
            flags.add(Flag.EARLY_INTERVENTION)
            reasons.append(R5_EARLY_INTERVENTION)

    # R6 domestic abuse victim (adult).
    if da and not child and not perpetrator:
        if route is None:
            route = Queue.DOMESTIC_ABUSE_VICTIM
            reasons.append(R6_DOMESTIC_ABUSE_VICTIM)
        if _da_high_risk(case):
            flags.add(Flag.HIGH_RISK_DA)
            priority = _at_least_high(priority)
            reasons.append(R6_HIGH_RISK_DA)
        if case.child_exposed_to_da:
            flags.add(Flag.CHILDREN_IN_HOUSEHOLD)
            da_secondary = Queue.CHILDREN_FRONT_DOOR
            reasons.append(R6_CHILDREN_IN_HOUSEHOLD)
        if hate:
            flags.add(Flag.HATE_AGGRAVATED)
            reasons.append(R6_HATE_AGGRAVATED)
        if case.mediation_requested:
            flags.add(Flag.MEDIATION_UNSUITABLE)
            reasons.append(R6_MEDIATION_UNSUITABLE)

    # R7 hate crime or incident: no crime needed; the person's perception is enough.
    if hate and route is None:
        route = Queue.HATE_CRIME
        reasons.append(R7_HATE_CRIME)

    # R8 anti-social behaviour.
    if case.incident_type is IncidentType.ASB:
        if route is None:
            route = Queue.ASB_MEDIATION
            reasons.append(R8_ASB)
        if (
            case.asb_reports_6m >= ASB_CASE_REVIEW_REPORTS
            and case.asb_last_report_days is not None
            and case.asb_last_report_days <= ASB_CASE_REVIEW_LAST_REPORT_DAYS
        ):
            flags.add(Flag.CASE_REVIEW_ELIGIBLE)
            reasons.append(R8_CASE_REVIEW_ELIGIBLE)
        if case.mediation_requested and case.violence_or_threats:
            flags.add(Flag.MEDIATION_UNSUITABLE)
            reasons.append(R8_MEDIATION_UNSUITABLE)

    # R9 everything else: a warm handover to the general victim service.
    if route is None:
        route = Queue.SIGNPOST_OTHER
        reasons.append(R9_SIGNPOST_OTHER)

    if safeguarding_concern:
        queue = Queue.CHILDREN_FRONT_DOOR
        secondary = route if route is not queue else None
    else:
        queue = route
        secondary = da_secondary if da_secondary is not queue else None

    if child:
        flags.add(Flag.CHILD)

    # A child who refers themselves for harmful behaviour at home is still a child: only adults lose the tier.
    if perpetrator and not child:
        tier: Tier | None = None
        grounds: list[EnhancedGround] = []
    else:
        grounds = enhanced_grounds(case)
        tier = Tier.ENHANCED if grounds else Tier.STANDARD

    if priority is not Priority.NORMAL:
        kind = DeadlineKind.SAME_WORKING_DAY
    elif Flag.EARLY_INTERVENTION in flags:
        kind = DeadlineKind.FIFTH_WORKING_DAY
    elif tier is Tier.ENHANCED:
        kind = DeadlineKind.NEXT_WORKING_DAY
    else:
        kind = DeadlineKind.SECOND_WORKING_DAY

    return TriageDecision.model_construct(
        outcome=Outcome.REFERRED,
        queue=queue,
        secondary_queue=secondary,
        tier=tier,
        enhanced_grounds=grounds,
        emergency=emergency,
        priority=priority,
        deadline=contact_deadline(case.received_at, kind),
        flags=_ordered(flags),
        reasons=reasons,
        rules_version=RULES_VERSION,
    )
