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
    optional = {name: strategy for name, strategy in OPTIONAL_FIELDS.items() if name not in fixed}
    required = {"received_at": received_ats} | {name: st.just(value) for name, value in fixed.items()}
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
