"""Invariants of triage over arbitrary valid inputs (hypothesis)."""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.triage import (
    Consent,
    DaRedFlag,
    EnhancedGround,
    Flag,
    HateStrand,
    ImmediateDanger,
    IncidentType,
    LawfulBasis,
    MostSeriousCategory,
    Outcome,
    Priority,
    Queue,
    Relationship,
    ReporterRole,
    Tier,
    TriageInput,
    Vulnerability,
    evaluate,
)
from api.triage.deadlines import is_working_day

LONDON = ZoneInfo("Europe/London")
LOCALE = yaml.safe_load(
    (Path(__file__).resolve().parents[3] / "locales" / "triage.en.yml").read_text("utf-8")
)
LOCALE_REASON_KEYS = {f"triage.reason.{name}" for name in LOCALE["en"]["reason"]}

PROPERTIES = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def values(members: type[enum.Enum]) -> st.SearchStrategy[str]:
    return st.sampled_from([member.value for member in members])


def value_lists(members: type[enum.Enum]) -> st.SearchStrategy[list[str]]:
    return st.lists(values(members), max_size=len(members) + 1)


received_ats = st.datetimes(
    min_value=datetime(2020, 1, 1),
    max_value=datetime(2035, 12, 31),
    timezones=st.sampled_from(
        [UTC, LONDON, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))]
    ),
)
counts = st.integers(min_value=0, max_value=40)

# Any subset of the fields may be given; the rest take their defaults.
OPTIONAL_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "reporter_role": values(ReporterRole),
    "lawful_basis": values(LawfulBasis),
    "consent": values(Consent),
    "age_years": st.none() | st.integers(min_value=0, max_value=120),
    "send": st.booleans(),
    "incident_type": values(IncidentType),
    "relationship": values(Relationship),
    "other_party_age_16_plus": st.none() | st.booleans(),
    "hate_strands": value_lists(HateStrand),
    "most_serious_category": st.none() | values(MostSeriousCategory),
    "repeat_targeting": st.booleans(),
    "vulnerabilities": value_lists(Vulnerability),
    "intimidated": st.booleans(),
    "immediate_danger": values(ImmediateDanger),
    "da_red_flags": value_lists(DaRedFlag),
    "da_police_reports_12m": counts,
    "child_exposed_to_da": st.booleans(),
    "child_safeguarding_concern": st.booleans(),
    "perpetrator_risk_to_others": st.booleans(),
    "asb_reports_6m": counts,
    "asb_last_report_days": st.none() | st.integers(min_value=0, max_value=400),
    "mediation_requested": st.booleans(),
    "violence_or_threats": st.booleans(),
    "lives_in_area": st.booleans(),
}


def inputs(**fixed: Any) -> st.SearchStrategy[TriageInput]:
    """Arbitrary valid inputs with some fields fixed: a value, or a strategy of values."""
    optional = {name: strategy for name, strategy in OPTIONAL_FIELDS.items() if name not in fixed}
    required = {"received_at": received_ats} | {
        name: value if isinstance(value, st.SearchStrategy) else st.just(value)
        for name, value in fixed.items()
    }
    return st.fixed_dictionaries(required, optional=optional).map(TriageInput.model_validate)


triage_inputs = inputs()
# Consent given and in the area: R1 and R2 pass, so every one of these is referred.
referred_inputs = inputs(consent="given", lives_in_area=True)
# Consent asked for but not given, or outside the area: never referred.
not_referred_inputs = inputs(lawful_basis="consent", consent="refused") | inputs(lives_in_area=False)


class TestTriageInvariants:
    @PROPERTIES
    @given(triage_inputs)
    def test_queue_and_deadline_exactly_when_referred(self, case: TriageInput) -> None:
        decision = evaluate(case)

        assert (decision.outcome is Outcome.REFERRED) is (decision.queue is not None)
        assert (decision.outcome is Outcome.REFERRED) is (decision.deadline is not None)

    @PROPERTIES
    @given(referred_inputs)
    def test_referred_has_a_queue_and_a_deadline_not_before_receipt(self, case: TriageInput) -> None:
        decision = evaluate(case)
        deadline = decision.deadline

        assert decision.outcome is Outcome.REFERRED
        assert decision.queue is not None
        assert deadline is not None
        assert deadline >= case.received_at
        assert deadline - case.received_at < timedelta(days=15)
        assert (deadline.astimezone(LONDON).hour, deadline.astimezone(LONDON).minute) == (17, 0)
        assert is_working_day(deadline.astimezone(LONDON).date())

    @PROPERTIES
    @given(triage_inputs)
    def test_not_referred_carries_no_queue_deadline_or_tier(self, case: TriageInput) -> None:
        decision = evaluate(case)

        referred = decision.outcome is Outcome.REFERRED
        assert referred or (decision.queue, decision.secondary_queue, decision.deadline, decision.tier) == (
            None,
            None,
            None,
            None,
        )
        assert referred or decision.enhanced_grounds == []

    @PROPERTIES
    @given(referred_inputs, st.timedeltas(max_value=timedelta(days=60), min_value=timedelta(0)))
    def test_later_receipt_never_gives_an_earlier_deadline_when_referred(
        self, case: TriageInput, delay: timedelta
    ) -> None:
        earlier = evaluate(case).deadline
        later = evaluate(case.model_copy(update={"received_at": case.received_at + delay})).deadline

        assert earlier is not None
        assert later is not None
        assert later >= earlier

    @PROPERTIES
    @given(not_referred_inputs)
    def test_signposted_or_rejected_carry_nothing_to_act_on(self, case: TriageInput) -> None:
        decision = evaluate(case)

        assert decision.outcome in (Outcome.SIGNPOSTED, Outcome.REJECTED_NO_CONSENT)
        assert decision.queue is None
        assert decision.secondary_queue is None
        assert decision.deadline is None
        assert decision.tier is None
        assert decision.enhanced_grounds == []
        assert Flag.CHILD not in decision.flags

    @PROPERTIES
    @given(triage_inputs, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60)))
    def test_later_receipt_never_gives_an_earlier_deadline(self, case: TriageInput, delay: timedelta) -> None:
        later_case = case.model_copy(update={"received_at": case.received_at + delay})

        earlier, later = evaluate(case), evaluate(later_case)

        assert earlier.outcome is later.outcome
        assert earlier.deadline is None or later.deadline is not None
        assert earlier.deadline is None or later.deadline is None or later.deadline >= earlier.deadline

    @PROPERTIES
    @given(triage_inputs)
    def test_emergency_implies_emergency_priority(self, case: TriageInput) -> None:
        decision = evaluate(case)

        assert decision.emergency is (case.immediate_danger is ImmediateDanger.YES)
        assert decision.emergency is (decision.priority is Priority.EMERGENCY)

    @PROPERTIES
    @given(triage_inputs)
    def test_every_reason_key_is_in_the_locale_file(self, case: TriageInput) -> None:
        decision = evaluate(case)

        assert decision.reasons
        assert {reason.key for reason in decision.reasons} <= LOCALE_REASON_KEYS
        assert all(
            reason.key.startswith(f"triage.reason.{reason.rule.lower()}_") for reason in decision.reasons
        )
        assert [reason.rule for reason in decision.reasons] == sorted(
            reason.rule for reason in decision.reasons
        )

    @PROPERTIES
    @given(triage_inputs)
    def test_lists_are_unique_and_in_declared_order(self, case: TriageInput) -> None:
        decision = evaluate(case)

        assert decision.flags == [flag for flag in Flag if flag in decision.flags]
        assert decision.enhanced_grounds == [
            ground for ground in EnhancedGround if ground in decision.enhanced_grounds
        ]

    @PROPERTIES
    @given(triage_inputs)
    def test_tier_matches_grounds(self, case: TriageInput) -> None:
        decision = evaluate(case)

        adult_perpetrator = (
            case.reporter_role is ReporterRole.PERPETRATOR_SELF and Flag.CHILD not in decision.flags
        )
        expected_tier: Tier | None
        if decision.outcome is not Outcome.REFERRED or adult_perpetrator:
            expected_tier = None
        else:
            expected_tier = Tier.ENHANCED if decision.enhanced_grounds else Tier.STANDARD
        assert decision.tier is expected_tier
        assert decision.tier is not None or decision.enhanced_grounds == []

    @PROPERTIES
    @given(triage_inputs)
    def test_urgent_flags_are_at_least_high(self, case: TriageInput) -> None:
        decision = evaluate(case)

        urgent = {Flag.SAFETY_UNCLEAR, Flag.HIGH_RISK_DA, Flag.SAFEGUARDING} & set(decision.flags)
        assert not urgent or decision.priority in (Priority.EMERGENCY, Priority.HIGH)

    @PROPERTIES
    @given(triage_inputs)
    def test_secondary_queue_differs_from_queue(self, case: TriageInput) -> None:
        decision = evaluate(case)

        assert decision.secondary_queue is None or decision.secondary_queue is not decision.queue
        assert not case.child_safeguarding_concern or decision.queue in (None, Queue.CHILDREN_FRONT_DOOR)

    @PROPERTIES
    @given(triage_inputs)
    def test_decision_is_deterministic_and_round_trips(self, case: TriageInput) -> None:
        decision = evaluate(case)
        payload: dict[str, Any] = decision.model_dump(mode="json")

        assert evaluate(case) == decision
        assert type(decision).model_validate(payload) == decision


# Domestic abuse victims (anyone but a perpetrator referring themselves), consenting, in the area, who screen
# high risk on R6's screen (a red flag, or three or more police call-outs in 12 months).
VICTIM_ROLES = [role.value for role in ReporterRole if role is not ReporterRole.PERPETRATOR_SELF]
HIGH_RISK_SCREENS = st.one_of(
    st.fixed_dictionaries({"da_red_flags": st.lists(values(DaRedFlag), min_size=1, max_size=3)}),
    st.fixed_dictionaries({"da_police_reports_12m": st.integers(min_value=3, max_value=40)}),
)


def high_risk_da_victims(**fixed: Any) -> st.SearchStrategy[TriageInput]:
    return HIGH_RISK_SCREENS.flatmap(
        lambda screen: inputs(
            consent="given",
            lives_in_area=True,
            incident_type="domestic_abuse",
            reporter_role=st.sampled_from(VICTIM_ROLES),
            **screen,
            **fixed,
        )
    )


# Both parties 16 or over (the DA Act applies): adults, 16- and 17-year-olds, and age not given.
high_risk_16_plus = high_risk_da_victims(
    age_years=st.none() | st.integers(min_value=16, max_value=120),
    other_party_age_16_plus=st.none() | st.just(True),
)
high_risk_children = high_risk_da_victims(age_years=st.integers(min_value=0, max_value=17))
children = st.integers(min_value=0, max_value=17)
# A child outside any DA context and without a safeguarding concern.
child_outside_da = inputs(
    consent="given",
    lives_in_area=True,
    age_years=children,
    incident_type=st.sampled_from([t.value for t in IncidentType if t is not IncidentType.DOMESTIC_ABUSE]),
    reporter_role=st.sampled_from(VICTIM_ROLES),
    child_exposed_to_da=False,
    child_safeguarding_concern=False,
)


class TestDomesticAbuseRiskInvariants:
    @PROPERTIES
    @given(high_risk_16_plus)
    def test_a_high_risk_victim_of_16_or_over_is_flagged_high_risk_and_urgent(
        self, case: TriageInput
    ) -> None:
        """R6 for adults, R4 for 16- and 17-year-olds: being 17 never makes a high-risk victim less urgent."""
        decision = evaluate(case)

        assert Flag.HIGH_RISK_DA in decision.flags
        assert decision.priority in (Priority.EMERGENCY, Priority.HIGH)

    @PROPERTIES
    @given(high_risk_children)
    def test_a_child_victim_who_screens_high_risk_is_a_safeguarding_case_at_the_front_door(
        self, case: TriageInput
    ) -> None:
        decision = evaluate(case)

        assert decision.queue is Queue.CHILDREN_FRONT_DOOR
        assert Flag.SAFEGUARDING in decision.flags
        assert decision.priority in (Priority.EMERGENCY, Priority.HIGH)


class TestChildrensFrontDoorInvariants:
    """DESIGN.md: the children's front door takes children harmed at home or in a relationship and every
    safeguarding concern; a child's hate crime or ASB goes to its own service with the `child` flag."""

    @PROPERTIES
    @given(inputs(consent="given", lives_in_area=True, child_safeguarding_concern=True))
    def test_every_safeguarding_concern_goes_to_the_front_door(self, case: TriageInput) -> None:
        decision = evaluate(case)

        assert decision.queue is Queue.CHILDREN_FRONT_DOOR
        assert Flag.SAFEGUARDING in decision.flags

    @PROPERTIES
    @given(
        inputs(consent="given", lives_in_area=True, age_years=children, incident_type="domestic_abuse")
        | inputs(consent="given", lives_in_area=True, age_years=children, child_exposed_to_da=True)
        | inputs(consent="given", lives_in_area=True, age_years=children, reporter_role="perpetrator_self")
    )
    def test_a_child_in_a_da_context_goes_to_the_front_door_with_the_child_flag(
        self, case: TriageInput
    ) -> None:
        decision = evaluate(case)

        assert decision.queue is Queue.CHILDREN_FRONT_DOOR
        assert Flag.CHILD in decision.flags

    @PROPERTIES
    @given(child_outside_da)
    def test_a_childs_hate_crime_or_asb_goes_to_its_own_service_with_the_child_flag(
        self, case: TriageInput
    ) -> None:
        decision = evaluate(case)
        hate = case.incident_type is IncidentType.HATE or bool(case.hate_strands)
        expected = {
            (True, False): Queue.HATE_CRIME,
            (True, True): Queue.HATE_CRIME,  # hate reported as ASB: R7 comes before R8
            (False, True): Queue.ASB_MEDIATION,
            (
                False,
                False,
            ): Queue.SIGNPOST_OTHER,  # R9: TRIAGE.md has no age-13 rule (see test_triage_rules.py)
        }[(hate, case.incident_type is IncidentType.ASB)]

        assert decision.queue is expected
        assert decision.secondary_queue is None
        assert Flag.CHILD in decision.flags

    @PROPERTIES
    @given(
        inputs(
            consent="given",
            lives_in_area=True,
            age_years=st.none() | st.integers(min_value=18, max_value=120),
            child_safeguarding_concern=False,
            other_party_age_16_plus=st.none() | st.just(True),
        )
    )
    def test_an_adults_case_without_a_child_at_risk_never_goes_to_the_front_door(
        self, case: TriageInput
    ) -> None:
        decision = evaluate(case)

        assert decision.queue is not Queue.CHILDREN_FRONT_DOOR
        assert Flag.CHILD not in decision.flags
