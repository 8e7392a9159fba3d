"""The rules R0–R9 of TRIAGE.md, table-driven: every rule, every flag, every enhanced ground."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from api.triage import (
    REASON_KEYS,
    RULES_VERSION,
    DaRedFlag,
    EnhancedGround,
    Flag,
    Outcome,
    Priority,
    Queue,
    Tier,
    TriageDecision,
    TriageInput,
    evaluate,
)

LONDON = ZoneInfo("Europe/London")
# Tuesday 24 November 2026, 10:00 GMT: a working day, before close.
RECEIVED = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
SAME_DAY = datetime(2026, 11, 24, 17, 0, tzinfo=LONDON)
NEXT_WORKING_DAY = datetime(2026, 11, 25, 17, 0, tzinfo=LONDON)
SECOND_WORKING_DAY = datetime(2026, 11, 26, 17, 0, tzinfo=LONDON)
FIFTH_WORKING_DAY = datetime(2026, 12, 1, 17, 0, tzinfo=LONDON)


def make_case(**overrides: Any) -> TriageInput:
    """A consenting 34-year-old in the area, received on a Tuesday morning; override what matters."""
    fields: dict[str, Any] = {"consent": "given", "age_years": 34, "received_at": RECEIVED}
    fields.update(overrides)
    return TriageInput.model_validate(fields)


def keys(decision: TriageDecision) -> list[str]:
    return [reason.key for reason in decision.reasons]


class TestWorkedExamples:
    """TRIAGE.md's five public examples, verbatim."""

    def test_example_1_hate_crime_self_referral(self) -> None:
        case = TriageInput.model_validate(
            {
                "reporter_role": "self",
                "consent": "given",
                "age_years": 34,
                "incident_type": "hate",
                "hate_strands": ["race"],
                "received_at": "2026-11-24T10:00:00Z",
            }
        )

        decision = evaluate(case)

        assert decision.outcome is Outcome.REFERRED
        assert decision.queue is Queue.HATE_CRIME
        assert decision.tier is Tier.ENHANCED
        assert decision.enhanced_grounds == [EnhancedGround.MOST_SERIOUS_CRIME]
        assert decision.priority is Priority.NORMAL
        assert decision.model_dump(mode="json")["deadline"] == "2026-11-25T17:00:00+00:00"

    def test_example_2_asb_received_friday_afternoon_before_christmas(self) -> None:
        case = TriageInput.model_validate(
            {
                "reporter_role": "self",
                "consent": "given",
                "age_years": 45,
                "incident_type": "asb",
                "relationship": "neighbour",
                "received_at": "2026-12-18T16:00:00Z",
            }
        )

        decision = evaluate(case)

        assert decision.outcome is Outcome.REFERRED
        assert decision.queue is Queue.ASB_MEDIATION
        assert decision.tier is Tier.STANDARD
        assert decision.enhanced_grounds == []
        # Mon 21 and Tue 22 are the two working days.
        assert decision.deadline == datetime(2026, 12, 22, 17, 0, tzinfo=LONDON)
        assert decision.model_dump(mode="json")["deadline"] == "2026-12-22T17:00:00+00:00"

    def test_example_3_third_party_without_consent_is_rejected(self) -> None:
        case = TriageInput.model_validate(
            {"reporter_role": "third_party", "consent": "not_asked", "incident_type": "domestic_abuse"}
        )

        decision = evaluate(case)

        assert decision.outcome is Outcome.REJECTED_NO_CONSENT
        assert decision.queue is None
        assert decision.tier is None
        assert decision.deadline is None

    def test_example_4_domestic_abuse_in_immediate_danger_on_saturday_night(self) -> None:
        case = TriageInput.model_validate(
            {
                "reporter_role": "self",
                "consent": "given",
                "age_years": 29,
                "incident_type": "domestic_abuse",
                "relationship": "partner",
                "da_red_flags": ["strangulation"],
                "immediate_danger": "yes",
                "received_at": "2026-11-28T23:00:00Z",
            }
        )

        decision = evaluate(case)

        assert decision.outcome is Outcome.REFERRED
        assert decision.queue is Queue.DOMESTIC_ABUSE_VICTIM
        assert decision.tier is Tier.ENHANCED
        assert decision.enhanced_grounds == [EnhancedGround.MOST_SERIOUS_CRIME, EnhancedGround.INTIMIDATED]
        assert decision.emergency is True
        assert decision.priority is Priority.EMERGENCY
        assert decision.flags == [Flag.HIGH_RISK_DA]
        assert decision.model_dump(mode="json")["deadline"] == "2026-11-30T17:00:00+00:00"

    def test_example_5_adult_perpetrator_without_risk(self) -> None:
        case = TriageInput.model_validate(
            {
                "reporter_role": "perpetrator_self",
                "consent": "given",
                "age_years": 31,
                "perpetrator_risk_to_others": False,
                "received_at": "2026-11-23T09:00:00Z",
            }
        )

        decision = evaluate(case)

        assert decision.outcome is Outcome.REFERRED
        assert decision.queue is Queue.DOMESTIC_ABUSE_PERPETRATOR
        assert decision.tier is None
        assert decision.flags == [Flag.EARLY_INTERVENTION]
        assert decision.model_dump(mode="json")["deadline"] == "2026-11-30T17:00:00+00:00"


class TestR0Emergency:
    @pytest.mark.parametrize(
        ("immediate_danger", "emergency", "priority", "safety_unclear"),
        [
            ("yes", True, Priority.EMERGENCY, False),
            ("unsure", False, Priority.HIGH, True),
            ("no", False, Priority.NORMAL, False),
        ],
    )
    def test_immediate_danger_sets_emergency_or_priority(
        self, immediate_danger: str, emergency: bool, priority: Priority, safety_unclear: bool
    ) -> None:
        decision = evaluate(make_case(incident_type="asb", immediate_danger=immediate_danger))

        assert decision.emergency is emergency
        assert decision.priority is priority
        assert (Flag.SAFETY_UNCLEAR in decision.flags) is safety_unclear

    @pytest.mark.parametrize(
        "overrides",
        [
            {"child_safeguarding_concern": True},
            {"incident_type": "domestic_abuse", "da_red_flags": ["weapon"]},
            {"incident_type": "domestic_abuse", "age_years": 14},
            {"reporter_role": "perpetrator_self", "perpetrator_risk_to_others": True},
        ],
        ids=["r3", "r6_high_risk", "r4_under_16", "r5_risk"],
    )
    def test_later_rules_never_lower_emergency(self, overrides: dict[str, Any]) -> None:
        decision = evaluate(make_case(immediate_danger="yes", **overrides))

        assert decision.emergency is True
        assert decision.priority is Priority.EMERGENCY

    def test_emergency_holds_when_nothing_is_referred(self) -> None:
        decision = evaluate(make_case(consent="refused", immediate_danger="yes"))

        assert decision.outcome is Outcome.SIGNPOSTED
        assert decision.emergency is True
        assert decision.priority is Priority.EMERGENCY
        assert keys(decision) == [
            "triage.reason.r0_immediate_danger",
            "triage.reason.r1_signposted_no_consent",
        ]

    def test_unsure_safety_is_contacted_the_same_working_day(self) -> None:
        decision = evaluate(make_case(incident_type="other_crime", immediate_danger="unsure"))

        assert decision.deadline == SAME_DAY


class TestR1Consent:
    @pytest.mark.parametrize(
        ("reporter_role", "consent", "outcome"),
        [
            ("self", "refused", Outcome.SIGNPOSTED),
            ("self", "not_asked", Outcome.SIGNPOSTED),
            ("parent_guardian", "refused", Outcome.SIGNPOSTED),
            ("perpetrator_self", "not_asked", Outcome.SIGNPOSTED),
            ("third_party", "refused", Outcome.REJECTED_NO_CONSENT),
            ("third_party", "not_asked", Outcome.REJECTED_NO_CONSENT),
            ("self", "given", Outcome.REFERRED),
            ("third_party", "given", Outcome.REFERRED),
        ],
    )
    def test_consent_basis_needs_consent_given(
        self, reporter_role: str, consent: str, outcome: Outcome
    ) -> None:
        decision = evaluate(make_case(reporter_role=reporter_role, consent=consent, incident_type="hate"))

        assert decision.outcome is outcome

    @pytest.mark.parametrize(
        ("reporter_role", "key"),
        [
            ("third_party", "triage.reason.r1_rejected_no_consent"),
            ("self", "triage.reason.r1_signposted_no_consent"),
        ],
    )
    def test_without_consent_nothing_is_queued(self, reporter_role: str, key: str) -> None:
        decision = evaluate(
            make_case(
                reporter_role=reporter_role,
                consent="refused",
                incident_type="domestic_abuse",
                child_safeguarding_concern=True,
                age_years=15,
            )
        )

        assert decision.queue is None
        assert decision.secondary_queue is None
        assert decision.tier is None
        assert decision.enhanced_grounds == []
        assert decision.deadline is None
        assert decision.flags == []
        assert keys(decision) == [key]

    @pytest.mark.parametrize("lawful_basis", ["police_referral", "safeguarding"])
    @pytest.mark.parametrize("consent", ["not_asked", "refused", "given"])
    @pytest.mark.parametrize("reporter_role", ["self", "third_party"])
    def test_police_referral_and_safeguarding_proceed_and_seek_consent(
        self, lawful_basis: str, consent: str, reporter_role: str
    ) -> None:
        decision = evaluate(
            make_case(
                lawful_basis=lawful_basis, consent=consent, reporter_role=reporter_role, incident_type="hate"
            )
        )

        assert decision.outcome is Outcome.REFERRED
        assert decision.queue is Queue.HATE_CRIME
        assert decision.flags == [Flag.CONSENT_TO_SEEK]
        assert keys(decision) == ["triage.reason.r1_consent_to_seek", "triage.reason.r7_hate_crime"]

    def test_consent_given_adds_no_flag(self) -> None:
        decision = evaluate(make_case(incident_type="hate"))

        assert Flag.CONSENT_TO_SEEK not in decision.flags


class TestR2Area:
    def test_outside_the_area_is_signposted(self) -> None:
        decision = evaluate(make_case(lives_in_area=False, incident_type="hate"))

        assert decision.outcome is Outcome.SIGNPOSTED
        assert decision.queue is None
        assert decision.tier is None
        assert decision.deadline is None
        assert decision.flags == [Flag.OUTSIDE_AREA]
        assert keys(decision) == ["triage.reason.r2_outside_area"]

    def test_outside_the_area_comes_before_child_safeguarding(self) -> None:
        decision = evaluate(make_case(lives_in_area=False, age_years=12, child_safeguarding_concern=True))

        assert decision.outcome is Outcome.SIGNPOSTED
        assert decision.queue is None
        assert decision.flags == [Flag.OUTSIDE_AREA]

    def test_police_referral_from_outside_the_area_keeps_both_flags(self) -> None:
        decision = evaluate(
            make_case(lawful_basis="police_referral", consent="not_asked", lives_in_area=False)
        )

        assert decision.outcome is Outcome.SIGNPOSTED
        assert decision.flags == [Flag.CONSENT_TO_SEEK, Flag.OUTSIDE_AREA]

    def test_consent_is_checked_before_the_area(self) -> None:
        decision = evaluate(make_case(reporter_role="third_party", consent="refused", lives_in_area=False))

        assert decision.outcome is Outcome.REJECTED_NO_CONSENT
        assert decision.flags == []


class TestR3ChildSafeguarding:
    @pytest.mark.parametrize(
        ("overrides", "secondary_queue"),
        [
            ({"incident_type": "asb", "relationship": "neighbour"}, Queue.ASB_MEDIATION),
            ({"incident_type": "domestic_abuse", "relationship": "partner"}, Queue.DOMESTIC_ABUSE_VICTIM),
            ({"incident_type": "hate", "hate_strands": ["religion"]}, Queue.HATE_CRIME),
            ({"reporter_role": "perpetrator_self"}, Queue.DOMESTIC_ABUSE_PERPETRATOR),
            ({"incident_type": "other_crime"}, Queue.SIGNPOST_OTHER),
            ({"incident_type": "domestic_abuse", "age_years": 15}, None),
            ({"incident_type": "domestic_abuse", "other_party_age_16_plus": False}, None),
            ({"incident_type": "domestic_abuse", "child_exposed_to_da": True}, Queue.DOMESTIC_ABUSE_VICTIM),
        ],
        ids=[
            "adult_asb",
            "adult_da",
            "hate",
            "adult_perpetrator",
            "other_crime",
            "child_da_route_is_same_queue",
            "other_party_under_16_route_is_same_queue",
            "da_with_children_in_household",
        ],
    )
    def test_concern_takes_the_queue_and_keeps_the_route_as_secondary(
        self, overrides: dict[str, Any], secondary_queue: Queue | None
    ) -> None:
        decision = evaluate(make_case(child_safeguarding_concern=True, **overrides))

        assert decision.outcome is Outcome.REFERRED
        assert decision.queue is Queue.CHILDREN_FRONT_DOOR
        assert decision.secondary_queue is secondary_queue
        assert Flag.SAFEGUARDING in decision.flags
        assert decision.priority is Priority.HIGH
        assert decision.deadline == SAME_DAY
        assert keys(decision)[0] == "triage.reason.r3_child_safeguarding"

    def test_childs_concern_in_an_adults_asb_case(self) -> None:
        decision = evaluate(
            make_case(
                incident_type="asb",
                relationship="neighbour",
                child_safeguarding_concern=True,
                asb_reports_6m=4,
                asb_last_report_days=3,
            )
        )

        assert decision.queue is Queue.CHILDREN_FRONT_DOOR
        assert decision.secondary_queue is Queue.ASB_MEDIATION
        # The adult's own tier: nothing makes it enhanced. Flags of later rules still accumulate.
        assert decision.tier is Tier.STANDARD
        assert decision.flags == [Flag.SAFEGUARDING, Flag.CASE_REVIEW_ELIGIBLE]
        assert keys(decision) == [
            "triage.reason.r3_child_safeguarding",
            "triage.reason.r8_asb",
            "triage.reason.r8_case_review_eligible",
        ]

    def test_adult_perpetrator_keeps_no_tier_under_r3(self) -> None:
        decision = evaluate(make_case(reporter_role="perpetrator_self", child_safeguarding_concern=True))

        assert decision.tier is None
        assert decision.enhanced_grounds == []
        assert decision.flags == [Flag.SAFEGUARDING, Flag.EARLY_INTERVENTION]
        assert decision.deadline == SAME_DAY


class TestR4ChildrenAndDomesticAbuse:
    @pytest.mark.parametrize(
        ("overrides", "flags", "priority"),
        [
            ({"age_years": 17, "incident_type": "domestic_abuse"}, [Flag.CHILD], Priority.NORMAL),
            (
                {"age_years": 17, "incident_type": "domestic_abuse", "other_party_age_16_plus": True},
                [Flag.CHILD],
                Priority.NORMAL,
            ),
            ({"age_years": 16, "incident_type": "domestic_abuse"}, [Flag.CHILD], Priority.NORMAL),
            (
                {"age_years": 15, "incident_type": "domestic_abuse"},
                [Flag.SAFEGUARDING, Flag.CHILD],
                Priority.HIGH,
            ),
            (
                {"age_years": 17, "incident_type": "domestic_abuse", "other_party_age_16_plus": False},
                [Flag.SAFEGUARDING, Flag.CHILD],
                Priority.HIGH,
            ),
            (
                {"age_years": 12, "incident_type": "other_crime", "child_exposed_to_da": True},
                [Flag.CHILD],
                Priority.NORMAL,
            ),
            ({"age_years": 15, "reporter_role": "perpetrator_self"}, [Flag.CHILD], Priority.NORMAL),
            (
                {"age_years": 15, "reporter_role": "perpetrator_self", "incident_type": "domestic_abuse"},
                [Flag.SAFEGUARDING, Flag.CHILD],
                Priority.HIGH,
            ),
            (
                {
                    "age_years": 45,
                    "incident_type": "domestic_abuse",
                    "relationship": "family",
                    "other_party_age_16_plus": False,
                },
                [Flag.SAFEGUARDING],
                Priority.HIGH,
            ),
            (
                {"age_years": None, "incident_type": "domestic_abuse", "other_party_age_16_plus": False},
                [Flag.SAFEGUARDING],
                Priority.HIGH,
            ),
        ],
        ids=[
            "17_year_old_da",
            "17_year_old_da_other_party_16_plus",
            "16_year_old_da",
            "15_year_old_da",
            "17_year_old_da_other_party_under_16",
            "child_exposed_to_da_as_subject",
            "child_perpetrator",
            "child_perpetrator_da_under_16",
            "parent_harmed_by_their_14_year_old",
            "age_unknown_other_party_under_16",
        ],
    )
    def test_children_front_door(
        self, overrides: dict[str, Any], flags: list[Flag], priority: Priority
    ) -> None:
        decision = evaluate(make_case(**overrides))

        assert decision.outcome is Outcome.REFERRED
        assert decision.queue is Queue.CHILDREN_FRONT_DOOR
        assert decision.secondary_queue is None
        assert decision.flags == flags
        assert decision.priority is priority

    def test_17_year_old_da_victim(self) -> None:
        decision = evaluate(make_case(age_years=17, incident_type="domestic_abuse", relationship="partner"))

        assert decision.tier is Tier.ENHANCED
        assert decision.enhanced_grounds == [
            EnhancedGround.MOST_SERIOUS_CRIME,
            EnhancedGround.VULNERABLE,
            EnhancedGround.INTIMIDATED,
        ]
        assert decision.deadline == NEXT_WORKING_DAY
        assert keys(decision) == ["triage.reason.r4_child_da_context"]

    def test_15_year_old_da_victim(self) -> None:
        decision = evaluate(make_case(age_years=15, incident_type="domestic_abuse", relationship="partner"))

        assert decision.tier is Tier.ENHANCED
        assert decision.deadline == SAME_DAY
        assert keys(decision) == ["triage.reason.r4_under_16"]

    def test_parent_harmed_by_their_14_year_old_keeps_adult_victim_flags(self) -> None:
        decision = evaluate(
            make_case(
                age_years=45,
                incident_type="domestic_abuse",
                relationship="family",
                other_party_age_16_plus=False,
                da_red_flags=["weapon"],
                mediation_requested=True,
            )
        )

        assert decision.queue is Queue.CHILDREN_FRONT_DOOR
        assert decision.tier is Tier.ENHANCED
        assert decision.flags == [Flag.SAFEGUARDING, Flag.HIGH_RISK_DA, Flag.MEDIATION_UNSUITABLE]
        assert keys(decision) == [
            "triage.reason.r4_under_16",
            "triage.reason.r6_high_risk_da",
            "triage.reason.r6_mediation_unsuitable",
        ]

    @pytest.mark.parametrize(
        ("overrides", "queue"),
        [
            ({"age_years": 30, "incident_type": "domestic_abuse"}, Queue.DOMESTIC_ABUSE_VICTIM),
            ({"age_years": 18, "incident_type": "domestic_abuse"}, Queue.DOMESTIC_ABUSE_VICTIM),
            (
                {"age_years": 30, "incident_type": "domestic_abuse", "other_party_age_16_plus": True},
                Queue.DOMESTIC_ABUSE_VICTIM,
            ),
            ({"age_years": 10, "incident_type": "asb"}, Queue.ASB_MEDIATION),
            ({"age_years": 13, "incident_type": "hate"}, Queue.HATE_CRIME),
            (
                {"age_years": 30, "incident_type": "asb", "other_party_age_16_plus": False},
                Queue.ASB_MEDIATION,
            ),
        ],
        ids=[
            "adult_da",
            "18_year_old_da",
            "adult_da_other_party_16_plus",
            "child_asb",
            "child_hate",
            "under_16_other_party_without_da",
        ],
    )
    def test_outside_a_da_context_r4_does_not_route(self, overrides: dict[str, Any], queue: Queue) -> None:
        decision = evaluate(make_case(**overrides))

        assert decision.queue is queue

    @pytest.mark.parametrize(
        ("overrides", "flags", "priority", "deadline"),
        [
            (
                {"age_years": 17, "relationship": "partner", "da_red_flags": ["strangulation"]},
                [Flag.SAFEGUARDING, Flag.HIGH_RISK_DA, Flag.CHILD],
                Priority.HIGH,
                SAME_DAY,
            ),
            (
                {"age_years": 16, "relationship": "ex_partner", "da_red_flags": ["stalking"]},
                [Flag.SAFEGUARDING, Flag.HIGH_RISK_DA, Flag.CHILD],
                Priority.HIGH,
                SAME_DAY,
            ),
            (
                {"age_years": 17, "relationship": "partner", "da_police_reports_12m": 3},
                [Flag.SAFEGUARDING, Flag.HIGH_RISK_DA, Flag.CHILD],
                Priority.HIGH,
                SAME_DAY,
            ),
            (
                {"age_years": 17, "relationship": "partner", "da_police_reports_12m": 2},
                [Flag.CHILD],
                Priority.NORMAL,
                NEXT_WORKING_DAY,
            ),
            (
                {
                    "age_years": 17,
                    "relationship": "partner",
                    "other_party_age_16_plus": True,
                    "da_red_flags": ["weapon"],
                },
                [Flag.SAFEGUARDING, Flag.HIGH_RISK_DA, Flag.CHILD],
                Priority.HIGH,
                SAME_DAY,
            ),
            (
                {
                    "age_years": 17,
                    "relationship": "partner",
                    "da_red_flags": ["weapon"],
                    "immediate_danger": "yes",
                },
                [Flag.SAFEGUARDING, Flag.HIGH_RISK_DA, Flag.CHILD],
                Priority.EMERGENCY,
                SAME_DAY,
            ),
            (
                {"age_years": 17, "relationship": "partner", "da_red_flags": [], "da_police_reports_12m": 0},
                [Flag.CHILD],
                Priority.NORMAL,
                NEXT_WORKING_DAY,
            ),
        ],
        ids=[
            "17_strangled_by_partner",
            "16_stalked_by_ex_partner",
            "17_three_police_call_outs",
            "17_two_police_call_outs_is_not_high_risk",
            "17_other_party_known_16_plus",
            "17_in_immediate_danger_stays_emergency",
            "17_no_risk_indicators",
        ],
    )
    def test_16_or_17_harmed_in_their_own_relationship_gets_r6s_risk_screen(
        self, overrides: dict[str, Any], flags: list[Flag], priority: Priority, deadline: datetime
    ) -> None:
        decision = evaluate(make_case(incident_type="domestic_abuse", **overrides))

        assert decision.outcome is Outcome.REFERRED
        assert decision.queue is Queue.CHILDREN_FRONT_DOOR
        assert decision.secondary_queue is None
        assert decision.tier is Tier.ENHANCED
        assert decision.flags == flags
        assert decision.priority is priority
        assert decision.deadline == deadline

    def test_a_17_year_olds_risk_screen_explains_itself_under_r4(self) -> None:
        decision = evaluate(
            make_case(
                age_years=17, incident_type="domestic_abuse", relationship="partner", da_red_flags=["weapon"]
            )
        )

        assert keys(decision) == ["triage.reason.r4_child_da_context", "triage.reason.r4_high_risk_da"]
        assert [reason.rule for reason in decision.reasons] == ["R4", "R4"]

    def test_at_least_as_much_at_risk_as_an_adult(self) -> None:
        """The same high-risk relationship at 17 and at 18: the child is never triaged as less urgent."""
        case = {
            "incident_type": "domestic_abuse",
            "relationship": "partner",
            "da_red_flags": ["strangulation"],
        }
        child = evaluate(make_case(age_years=17, **case))
        adult = evaluate(make_case(age_years=18, **case))

        assert Flag.HIGH_RISK_DA in child.flags and Flag.HIGH_RISK_DA in adult.flags
        assert (child.priority, adult.priority) == (Priority.HIGH, Priority.HIGH)
        assert child.deadline == adult.deadline == SAME_DAY

    @pytest.mark.parametrize(
        ("overrides", "flags"),
        [
            # Under 16 on either side: child abuse (safeguarding, high) already; R6's flag is for 16+ only.
            ({"age_years": 15, "da_red_flags": ["weapon"]}, [Flag.SAFEGUARDING, Flag.CHILD]),
            (
                {"age_years": 17, "other_party_age_16_plus": False, "da_red_flags": ["weapon"]},
                [Flag.SAFEGUARDING, Flag.CHILD],
            ),
            # A 17-year-old referring themselves for their own behaviour is not screened as a victim.
            (
                {"age_years": 17, "reporter_role": "perpetrator_self", "da_red_flags": ["weapon"]},
                [Flag.CHILD],
            ),
        ],
        ids=["15_year_old", "17_other_party_under_16", "17_year_old_perpetrator"],
    )
    def test_the_risk_screen_is_for_16_and_17_year_old_victims_only(
        self, overrides: dict[str, Any], flags: list[Flag]
    ) -> None:
        decision = evaluate(make_case(incident_type="domestic_abuse", relationship="partner", **overrides))

        assert decision.queue is Queue.CHILDREN_FRONT_DOOR
        assert decision.flags == flags
        assert "triage.reason.r4_high_risk_da" not in keys(decision)


class TestChildrensFrontDoor:
    """DESIGN.md: the children's front door takes children harmed at home or in a relationship and every
    safeguarding concern; a child's hate crime or ASB goes to its own service with the `child` flag.

    DESIGN.md also names "children under 13"; TRIAGE.md (the contract) has no age-13 rule: an under-13's
    hate crime or ASB goes to its own service, and anything else outside a DA context and without a
    safeguarding concern is R9's warm handover. `test_under_13_outside_a_da_context_follows_the_rules`
    pins that reading until the contract says otherwise."""

    @pytest.mark.parametrize(
        "overrides",
        [
            {"age_years": 9, "incident_type": "domestic_abuse", "relationship": "family"},
            {"age_years": 15, "incident_type": "domestic_abuse", "relationship": "household"},
            {"age_years": 17, "incident_type": "domestic_abuse", "relationship": "family"},
            {"age_years": 11, "incident_type": "other_crime", "child_exposed_to_da": True},
            {"age_years": 14, "incident_type": "domestic_abuse", "relationship": "partner"},
            {"age_years": 17, "incident_type": "domestic_abuse", "relationship": "ex_partner"},
            {"age_years": 16, "reporter_role": "perpetrator_self", "relationship": "family"},
            {"age_years": 8, "reporter_role": "parent_guardian", "incident_type": "domestic_abuse"},
            {"age_years": 16, "reporter_role": "third_party", "incident_type": "domestic_abuse"},
        ],
        ids=[
            "9_harmed_by_family",
            "15_harmed_in_household",
            "17_harmed_by_family",
            "11_lives_with_the_abuse",
            "14_harmed_by_partner",
            "17_harmed_by_ex_partner",
            "16_harming_someone_at_home",
            "8_referred_by_parent",
            "16_referred_by_agency",
        ],
    )
    def test_a_child_harmed_at_home_or_in_a_relationship(self, overrides: dict[str, Any]) -> None:
        decision = evaluate(make_case(**overrides))

        assert decision.outcome is Outcome.REFERRED
        assert decision.queue is Queue.CHILDREN_FRONT_DOOR
        assert Flag.CHILD in decision.flags

    @pytest.mark.parametrize(
        ("overrides", "secondary"),
        [
            ({"age_years": 34, "incident_type": "asb"}, Queue.ASB_MEDIATION),
            ({"age_years": 34, "incident_type": "hate"}, Queue.HATE_CRIME),
            ({"age_years": 34, "incident_type": "domestic_abuse"}, Queue.DOMESTIC_ABUSE_VICTIM),
            ({"age_years": 34, "reporter_role": "perpetrator_self"}, Queue.DOMESTIC_ABUSE_PERPETRATOR),
            ({"age_years": 12, "incident_type": "hate"}, Queue.HATE_CRIME),
            ({"age_years": 15, "incident_type": "asb"}, Queue.ASB_MEDIATION),
            ({"age_years": 10, "incident_type": "other_crime"}, Queue.SIGNPOST_OTHER),
            ({"age_years": None, "incident_type": "unsure"}, Queue.SIGNPOST_OTHER),
            ({"age_years": 6, "incident_type": "domestic_abuse"}, None),
        ],
        ids=[
            "adult_asb",
            "adult_hate",
            "adult_da",
            "adult_perpetrator",
            "child_hate",
            "child_asb",
            "child_other_crime",
            "age_unknown_unsure",
            "child_da",
        ],
    )
    def test_every_safeguarding_concern(self, overrides: dict[str, Any], secondary: Queue | None) -> None:
        decision = evaluate(make_case(child_safeguarding_concern=True, **overrides))

        assert decision.queue is Queue.CHILDREN_FRONT_DOOR
        assert decision.secondary_queue is secondary
        assert Flag.SAFEGUARDING in decision.flags
        assert decision.priority is Priority.HIGH

    @pytest.mark.parametrize("age_years", [0, 5, 12, 13, 15, 16, 17])
    @pytest.mark.parametrize(
        ("overrides", "queue"),
        [
            ({"incident_type": "hate", "hate_strands": ["race"]}, Queue.HATE_CRIME),
            ({"incident_type": "other_crime", "hate_strands": ["religion"]}, Queue.HATE_CRIME),
            ({"incident_type": "asb", "relationship": "neighbour"}, Queue.ASB_MEDIATION),
            ({"incident_type": "asb", "relationship": "stranger", "asb_reports_6m": 4}, Queue.ASB_MEDIATION),
        ],
        ids=["hate", "hate_strand_only", "asb_neighbour", "asb_stranger"],
    )
    def test_a_childs_hate_crime_or_asb_goes_to_its_own_service_with_the_child_flag(
        self, overrides: dict[str, Any], queue: Queue, age_years: int
    ) -> None:
        decision = evaluate(make_case(age_years=age_years, **overrides))

        assert decision.queue is queue
        assert decision.secondary_queue is None
        assert Flag.CHILD in decision.flags
        assert decision.tier is Tier.ENHANCED
        assert EnhancedGround.VULNERABLE in decision.enhanced_grounds

    @pytest.mark.parametrize(
        ("overrides", "queue"),
        [
            ({"incident_type": "hate", "relationship": "family"}, Queue.HATE_CRIME),
            ({"incident_type": "hate", "child_exposed_to_da": True}, Queue.CHILDREN_FRONT_DOOR),
            ({"incident_type": "asb", "child_safeguarding_concern": True}, Queue.CHILDREN_FRONT_DOOR),
            ({"incident_type": "domestic_abuse", "hate_strands": ["race"]}, Queue.CHILDREN_FRONT_DOOR),
        ],
        ids=["hate_by_family_without_da", "hate_living_with_da", "asb_with_concern", "da_with_hate"],
    )
    def test_harm_at_home_or_a_concern_outranks_hate_and_asb(
        self, overrides: dict[str, Any], queue: Queue
    ) -> None:
        decision = evaluate(make_case(age_years=14, **overrides))

        assert decision.queue is queue

    @pytest.mark.parametrize(
        ("incident_type", "queue"),
        [
            ("other_crime", Queue.SIGNPOST_OTHER),
            ("sexual_offence", Queue.SIGNPOST_OTHER),
            ("unsure", Queue.SIGNPOST_OTHER),
        ],
    )
    def test_under_13_outside_a_da_context_follows_the_rules(self, incident_type: str, queue: Queue) -> None:
        decision = evaluate(make_case(age_years=10, incident_type=incident_type))

        assert decision.queue is queue
        assert Flag.CHILD in decision.flags

    @pytest.mark.parametrize("age_years", [18, 25, 60, None])
    def test_adults_outside_a_da_context_never_go_to_the_childrens_front_door(
        self, age_years: int | None
    ) -> None:
        for incident_type in ("hate", "asb", "other_crime", "domestic_abuse", "unsure"):
            decision = evaluate(make_case(age_years=age_years, incident_type=incident_type))

            assert decision.queue is not Queue.CHILDREN_FRONT_DOOR, incident_type
            assert Flag.CHILD not in decision.flags


class TestR5PerpetratorSelfReferral:
    @pytest.mark.parametrize(
        ("overrides", "flags", "priority", "deadline"),
        [
            ({}, [Flag.EARLY_INTERVENTION], Priority.NORMAL, FIFTH_WORKING_DAY),
            ({"age_years": None}, [Flag.EARLY_INTERVENTION], Priority.NORMAL, FIFTH_WORKING_DAY),
            ({"perpetrator_risk_to_others": True}, [Flag.SAFEGUARDING], Priority.HIGH, SAME_DAY),
            ({"child_exposed_to_da": True}, [Flag.SAFEGUARDING], Priority.HIGH, SAME_DAY),
            (
                {"incident_type": "domestic_abuse"},
                [Flag.EARLY_INTERVENTION],
                Priority.NORMAL,
                FIFTH_WORKING_DAY,
            ),
        ],
        ids=["no_risk", "age_unknown", "risk_to_others", "child_exposed", "da"],
    )
    def test_adult_perpetrator(
        self, overrides: dict[str, Any], flags: list[Flag], priority: Priority, deadline: datetime
    ) -> None:
        decision = evaluate(make_case(reporter_role="perpetrator_self", **overrides))

        assert decision.queue is Queue.DOMESTIC_ABUSE_PERPETRATOR
        assert decision.tier is None
        assert decision.enhanced_grounds == []
        assert decision.flags == flags
        assert decision.priority is priority
        assert decision.deadline == deadline

    @pytest.mark.parametrize(
        ("age_years", "queue", "tier"),
        [
            (31, Queue.DOMESTIC_ABUSE_PERPETRATOR, None),
            (18, Queue.DOMESTIC_ABUSE_PERPETRATOR, None),
            (17, Queue.CHILDREN_FRONT_DOOR, Tier.ENHANCED),
            (14, Queue.CHILDREN_FRONT_DOOR, Tier.ENHANCED),
        ],
    )
    def test_adult_and_child_perpetrators(self, age_years: int, queue: Queue, tier: Tier | None) -> None:
        decision = evaluate(make_case(reporter_role="perpetrator_self", age_years=age_years))

        assert decision.queue is queue
        assert decision.tier is tier

    def test_child_perpetrator_gets_the_childs_deadline_not_early_intervention(self) -> None:
        decision = evaluate(make_case(reporter_role="perpetrator_self", age_years=16))

        assert decision.flags == [Flag.CHILD]
        assert decision.enhanced_grounds == [EnhancedGround.VULNERABLE]
        assert decision.deadline == NEXT_WORKING_DAY

    def test_perpetrator_is_not_assessed_as_a_victim(self) -> None:
        decision = evaluate(
            make_case(
                reporter_role="perpetrator_self", incident_type="domestic_abuse", da_red_flags=["weapon"]
            )
        )

        assert Flag.HIGH_RISK_DA not in decision.flags


class TestR6DomesticAbuseVictim:
    def test_adult_victim(self) -> None:
        decision = evaluate(make_case(incident_type="domestic_abuse", relationship="ex_partner"))

        assert decision.queue is Queue.DOMESTIC_ABUSE_VICTIM
        assert decision.secondary_queue is None
        assert decision.tier is Tier.ENHANCED
        assert decision.enhanced_grounds == [EnhancedGround.MOST_SERIOUS_CRIME, EnhancedGround.INTIMIDATED]
        assert decision.flags == []
        assert decision.priority is Priority.NORMAL
        assert decision.deadline == NEXT_WORKING_DAY
        assert keys(decision) == ["triage.reason.r6_domestic_abuse_victim"]

    @pytest.mark.parametrize("red_flag", list(DaRedFlag))
    def test_any_red_flag_is_high_risk(self, red_flag: DaRedFlag) -> None:
        decision = evaluate(make_case(incident_type="domestic_abuse", da_red_flags=[red_flag]))

        assert decision.flags == [Flag.HIGH_RISK_DA]
        assert decision.priority is Priority.HIGH
        assert decision.deadline == SAME_DAY

    @pytest.mark.parametrize(("reports", "high_risk"), [(0, False), (2, False), (3, True), (7, True)])
    def test_police_reports_in_12_months(self, reports: int, high_risk: bool) -> None:
        decision = evaluate(make_case(incident_type="domestic_abuse", da_police_reports_12m=reports))

        assert (Flag.HIGH_RISK_DA in decision.flags) is high_risk

    def test_children_in_household_adds_the_childrens_front_door(self) -> None:
        decision = evaluate(make_case(incident_type="domestic_abuse", child_exposed_to_da=True))

        assert decision.queue is Queue.DOMESTIC_ABUSE_VICTIM
        assert decision.secondary_queue is Queue.CHILDREN_FRONT_DOOR
        assert decision.flags == [Flag.CHILDREN_IN_HOUSEHOLD]

    def test_hate_as_well_is_hate_aggravated_and_stays_with_da(self) -> None:
        decision = evaluate(make_case(incident_type="domestic_abuse", hate_strands=["disability"]))

        assert decision.queue is Queue.DOMESTIC_ABUSE_VICTIM
        assert decision.flags == [Flag.HATE_AGGRAVATED]
        assert keys(decision) == [
            "triage.reason.r6_domestic_abuse_victim",
            "triage.reason.r6_hate_aggravated",
        ]

    @pytest.mark.parametrize("violence_or_threats", [True, False])
    def test_mediation_is_never_offered_where_there_is_abuse(self, violence_or_threats: bool) -> None:
        decision = evaluate(
            make_case(
                incident_type="domestic_abuse",
                mediation_requested=True,
                violence_or_threats=violence_or_threats,
            )
        )

        assert decision.flags == [Flag.MEDIATION_UNSUITABLE]

    def test_every_flag_at_once_in_declared_order(self) -> None:
        decision = evaluate(
            make_case(
                incident_type="domestic_abuse",
                da_red_flags=["stalking", "threats_to_kill"],
                child_exposed_to_da=True,
                hate_strands=["race"],
                mediation_requested=True,
            )
        )

        assert decision.flags == [
            Flag.HIGH_RISK_DA,
            Flag.CHILDREN_IN_HOUSEHOLD,
            Flag.MEDIATION_UNSUITABLE,
            Flag.HATE_AGGRAVATED,
        ]
        assert keys(decision) == [
            "triage.reason.r6_domestic_abuse_victim",
            "triage.reason.r6_high_risk_da",
            "triage.reason.r6_children_in_household",
            "triage.reason.r6_hate_aggravated",
            "triage.reason.r6_mediation_unsuitable",
        ]


class TestR7HateCrime:
    @pytest.mark.parametrize(
        "overrides",
        [
            {"incident_type": "hate"},
            {"incident_type": "hate", "hate_strands": ["race", "religion"]},
            {"incident_type": "asb", "hate_strands": ["sexual_orientation"]},
            {"incident_type": "unsure", "hate_strands": ["transgender"]},
            {"incident_type": "other_crime", "hate_strands": ["other"]},
            {"incident_type": "sexual_offence", "hate_strands": ["disability"]},
        ],
        ids=[
            "hate",
            "hate_with_strands",
            "asb_with_strands",
            "unsure_with_strands",
            "crime_with_strands",
            "sexual",
        ],
    )
    def test_perception_is_enough(self, overrides: dict[str, Any]) -> None:
        decision = evaluate(make_case(**overrides))

        assert decision.queue is Queue.HATE_CRIME
        assert EnhancedGround.MOST_SERIOUS_CRIME in decision.enhanced_grounds
        assert "triage.reason.r7_hate_crime" in keys(decision)

    def test_hate_strands_on_an_asb_report(self) -> None:
        decision = evaluate(
            make_case(
                incident_type="asb",
                relationship="neighbour",
                hate_strands=["race"],
                asb_reports_6m=3,
                asb_last_report_days=10,
                mediation_requested=True,
                violence_or_threats=True,
            )
        )

        assert decision.queue is Queue.HATE_CRIME
        assert decision.secondary_queue is None
        assert decision.tier is Tier.ENHANCED
        assert decision.flags == [Flag.CASE_REVIEW_ELIGIBLE, Flag.MEDIATION_UNSUITABLE]
        assert keys(decision) == [
            "triage.reason.r7_hate_crime",
            "triage.reason.r8_case_review_eligible",
            "triage.reason.r8_mediation_unsuitable",
        ]


class TestR8Asb:
    def test_asb(self) -> None:
        decision = evaluate(make_case(incident_type="asb", relationship="neighbour"))

        assert decision.queue is Queue.ASB_MEDIATION
        assert decision.tier is Tier.STANDARD
        assert decision.flags == []
        assert decision.deadline == SECOND_WORKING_DAY
        assert keys(decision) == ["triage.reason.r8_asb"]

    @pytest.mark.parametrize(
        ("reports", "last_report_days", "eligible"),
        [
            (3, 31, True),
            (3, 32, False),
            (3, 0, True),
            (10, 31, True),
            (2, 1, False),
            (3, None, False),
            (0, None, False),
        ],
    )
    def test_case_review_threshold(self, reports: int, last_report_days: int | None, eligible: bool) -> None:
        decision = evaluate(
            make_case(incident_type="asb", asb_reports_6m=reports, asb_last_report_days=last_report_days)
        )

        assert (Flag.CASE_REVIEW_ELIGIBLE in decision.flags) is eligible

    @pytest.mark.parametrize(
        ("mediation_requested", "violence_or_threats", "unsuitable"),
        [(True, True, True), (True, False, False), (False, True, False), (False, False, False)],
    )
    def test_mediation_with_and_without_threats(
        self, mediation_requested: bool, violence_or_threats: bool, unsuitable: bool
    ) -> None:
        decision = evaluate(
            make_case(
                incident_type="asb",
                mediation_requested=mediation_requested,
                violence_or_threats=violence_or_threats,
            )
        )

        assert decision.queue is Queue.ASB_MEDIATION
        assert (Flag.MEDIATION_UNSUITABLE in decision.flags) is unsuitable


class TestR9EverythingElse:
    @pytest.mark.parametrize(
        ("incident_type", "tier", "grounds"),
        [
            (
                "sexual_offence",
                Tier.ENHANCED,
                [EnhancedGround.MOST_SERIOUS_CRIME, EnhancedGround.INTIMIDATED],
            ),
            ("other_crime", Tier.STANDARD, []),
            ("unsure", Tier.STANDARD, []),
        ],
    )
    def test_warm_handover_with_the_tier_computed(
        self, incident_type: str, tier: Tier, grounds: list[EnhancedGround]
    ) -> None:
        decision = evaluate(make_case(incident_type=incident_type))

        assert decision.outcome is Outcome.REFERRED
        assert decision.queue is Queue.SIGNPOST_OTHER
        assert decision.tier is tier
        assert decision.enhanced_grounds == grounds
        assert keys(decision) == ["triage.reason.r9_signpost_other"]


class TestEnhancedGrounds:
    @pytest.mark.parametrize(
        ("overrides", "grounds"),
        [
            ({"incident_type": "other_crime"}, []),
            ({"incident_type": "hate"}, [EnhancedGround.MOST_SERIOUS_CRIME]),
            ({"hate_strands": ["religion"]}, [EnhancedGround.MOST_SERIOUS_CRIME]),
            ({"most_serious_category": "bereaved"}, [EnhancedGround.MOST_SERIOUS_CRIME]),
            ({"most_serious_category": "gbh_with_intent"}, [EnhancedGround.MOST_SERIOUS_CRIME]),
            (
                {"most_serious_category": "human_trafficking"},
                [EnhancedGround.MOST_SERIOUS_CRIME, EnhancedGround.INTIMIDATED],
            ),
            (
                {"incident_type": "sexual_offence"},
                [EnhancedGround.MOST_SERIOUS_CRIME, EnhancedGround.INTIMIDATED],
            ),
            (
                {"incident_type": "domestic_abuse"},
                [EnhancedGround.MOST_SERIOUS_CRIME, EnhancedGround.INTIMIDATED],
            ),
            ({"repeat_targeting": True}, [EnhancedGround.PERSISTENTLY_TARGETED]),
            ({"age_years": 17}, [EnhancedGround.VULNERABLE]),
            ({"age_years": 0}, [EnhancedGround.VULNERABLE]),
            ({"age_years": 18}, []),
            ({"age_years": 18, "send": True}, [EnhancedGround.VULNERABLE]),
            ({"age_years": 25, "send": True}, [EnhancedGround.VULNERABLE]),
            ({"age_years": 26, "send": True}, []),
            ({"age_years": None, "send": True}, []),
            ({"vulnerabilities": ["autism"]}, [EnhancedGround.VULNERABLE]),
            ({"vulnerabilities": ["mental_health", "other"]}, [EnhancedGround.VULNERABLE]),
            ({"intimidated": True}, [EnhancedGround.INTIMIDATED]),
            (
                {
                    "incident_type": "hate",
                    "repeat_targeting": True,
                    "vulnerabilities": ["learning_disability"],
                },
                [
                    EnhancedGround.MOST_SERIOUS_CRIME,
                    EnhancedGround.PERSISTENTLY_TARGETED,
                    EnhancedGround.VULNERABLE,
                ],
            ),
            (
                {
                    "intimidated": True,
                    "age_years": 12,
                    "repeat_targeting": True,
                    "most_serious_category": "kidnap",
                    "incident_type": "asb",
                },
                list(EnhancedGround),
            ),
        ],
        ids=[
            "none",
            "hate",
            "hate_strands",
            "bereaved",
            "gbh_with_intent",
            "human_trafficking",
            "sexual_offence",
            "domestic_abuse",
            "repeat_targeting",
            "child_17",
            "child_0",
            "adult_18",
            "send_18",
            "send_25",
            "send_26",
            "send_age_unknown",
            "vulnerability",
            "vulnerabilities",
            "intimidated",
            "several",
            "all_four_in_declared_order",
        ],
    )
    def test_grounds(self, overrides: dict[str, Any], grounds: list[EnhancedGround]) -> None:
        decision = evaluate(make_case(**overrides))

        assert decision.enhanced_grounds == grounds
        assert decision.tier is (Tier.ENHANCED if grounds else Tier.STANDARD)


# One input per flag that raises it; the meta-test below keeps the table complete.
FLAG_CASES: list[tuple[Flag, dict[str, Any]]] = [
    (Flag.SAFEGUARDING, {"child_safeguarding_concern": True}),
    (Flag.HIGH_RISK_DA, {"incident_type": "domestic_abuse", "da_police_reports_12m": 3}),
    (Flag.CHILD, {"age_years": 9, "incident_type": "hate"}),
    (Flag.CHILDREN_IN_HOUSEHOLD, {"incident_type": "domestic_abuse", "child_exposed_to_da": True}),
    (Flag.CASE_REVIEW_ELIGIBLE, {"incident_type": "asb", "asb_reports_6m": 3, "asb_last_report_days": 31}),
    (
        Flag.MEDIATION_UNSUITABLE,
        {"incident_type": "asb", "mediation_requested": True, "violence_or_threats": True},
    ),
    (Flag.HATE_AGGRAVATED, {"incident_type": "domestic_abuse", "hate_strands": ["race"]}),
    (Flag.EARLY_INTERVENTION, {"reporter_role": "perpetrator_self"}),
    (Flag.CONSENT_TO_SEEK, {"lawful_basis": "safeguarding", "consent": "not_asked"}),
    (Flag.SAFETY_UNCLEAR, {"immediate_danger": "unsure"}),
    (Flag.OUTSIDE_AREA, {"lives_in_area": False}),
]


class TestFlags:
    @pytest.mark.parametrize(("flag", "overrides"), FLAG_CASES, ids=[flag.value for flag, _ in FLAG_CASES])
    def test_flag_is_raised(self, flag: Flag, overrides: dict[str, Any]) -> None:
        decision = evaluate(make_case(**overrides))

        assert flag in decision.flags

    def test_every_flag_has_a_case(self) -> None:
        assert {flag for flag, _ in FLAG_CASES} == set(Flag)

    def test_no_flags_for_a_plain_adult_case(self) -> None:
        assert evaluate(make_case(incident_type="other_crime")).flags == []

    @pytest.mark.parametrize(
        ("overrides", "child_flag"),
        [
            ({"age_years": 17}, True),
            ({"age_years": 18}, False),
            ({"age_years": None}, False),
            ({"age_years": 12, "consent": "refused"}, False),
            ({"age_years": 12, "lives_in_area": False}, False),
        ],
        ids=["17", "18", "age_unknown", "child_signposted_no_consent", "child_outside_area"],
    )
    def test_child_flag_only_when_referred(self, overrides: dict[str, Any], child_flag: bool) -> None:
        decision = evaluate(make_case(**overrides))

        assert (Flag.CHILD in decision.flags) is child_flag


class TestDeadlineChoice:
    @pytest.mark.parametrize(
        ("overrides", "deadline"),
        [
            ({"immediate_danger": "yes"}, SAME_DAY),
            ({"immediate_danger": "unsure"}, SAME_DAY),
            ({"incident_type": "hate"}, NEXT_WORKING_DAY),
            ({"incident_type": "other_crime"}, SECOND_WORKING_DAY),
            ({"reporter_role": "perpetrator_self"}, FIFTH_WORKING_DAY),
            ({"reporter_role": "perpetrator_self", "immediate_danger": "unsure"}, SAME_DAY),
            ({"reporter_role": "perpetrator_self", "perpetrator_risk_to_others": True}, SAME_DAY),
        ],
        ids=[
            "emergency",
            "high",
            "enhanced",
            "standard",
            "perpetrator_early_intervention",
            "perpetrator_safety_unclear",
            "perpetrator_risk",
        ],
    )
    def test_deadline_rule(self, overrides: dict[str, Any], deadline: datetime) -> None:
        assert evaluate(make_case(**overrides)).deadline == deadline


class TestDecision:
    @pytest.mark.parametrize(("flag", "overrides"), FLAG_CASES, ids=[flag.value for flag, _ in FLAG_CASES])
    def test_decision_is_valid_and_versioned(self, flag: Flag, overrides: dict[str, Any]) -> None:
        decision = evaluate(make_case(**overrides))

        assert TriageDecision.model_validate_json(decision.model_dump_json()) == decision
        assert decision.rules_version == RULES_VERSION
        assert {reason.key for reason in decision.reasons} <= REASON_KEYS

    def test_reasons_follow_rule_order(self) -> None:
        decision = evaluate(
            make_case(
                immediate_danger="unsure",
                lawful_basis="police_referral",
                child_safeguarding_concern=True,
                incident_type="domestic_abuse",
                da_red_flags=["weapon"],
            )
        )

        assert [reason.rule for reason in decision.reasons] == ["R0", "R1", "R3", "R6", "R6"]

    def test_same_input_same_decision(self) -> None:
        case = make_case(incident_type="domestic_abuse", child_exposed_to_da=True, hate_strands=["race"])

        assert evaluate(case) == evaluate(case)

    def test_rules_version_is_dated(self) -> None:
        date_part, _, serial = RULES_VERSION.partition(".")

        assert datetime.strptime(date_part, "%Y-%m-%d").year >= 2026
        assert serial.isdigit()
