"""TriageInput and TriageDecision: the contract's field names, values and defaults; errors name the field."""

from __future__ import annotations

import enum
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

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
    TriageDecision,
    TriageInput,
    Vulnerability,
    evaluate,
)


def error_fields(exc: ValidationError) -> list[str]:
    return [".".join(str(part) for part in error["loc"]) for error in exc.errors()]


class TestEnums:
    @pytest.mark.parametrize(
        ("members", "values"),
        [
            (ReporterRole, ["self", "parent_guardian", "third_party", "perpetrator_self"]),
            (LawfulBasis, ["consent", "police_referral", "safeguarding"]),
            (Consent, ["given", "refused", "not_asked"]),
            (IncidentType, ["domestic_abuse", "hate", "asb", "sexual_offence", "other_crime", "unsure"]),
            (
                Relationship,
                ["partner", "ex_partner", "family", "household", "neighbour", "stranger", "other", "unknown"],
            ),
            (HateStrand, ["race", "religion", "sexual_orientation", "disability", "transgender", "other"]),
            (
                MostSeriousCategory,
                [
                    "bereaved",
                    "terrorism",
                    "sexual_offence",
                    "human_trafficking",
                    "attempted_murder",
                    "kidnap",
                    "false_imprisonment",
                    "arson_endangering_life",
                    "gbh_with_intent",
                ],
            ),
            (
                Vulnerability,
                ["mental_health", "learning_disability", "autism", "physical_disability", "other"],
            ),
            (ImmediateDanger, ["yes", "no", "unsure"]),
            (
                DaRedFlag,
                [
                    "strangulation",
                    "threats_to_kill",
                    "weapon",
                    "escalating",
                    "recent_separation",
                    "pregnancy",
                    "stalking",
                    "very_frightened",
                    "children_threatened",
                    "sexual_abuse",
                ],
            ),
            (Outcome, ["referred", "signposted", "rejected_no_consent"]),
            (
                Queue,
                [
                    "hate_crime",
                    "asb_mediation",
                    "domestic_abuse_victim",
                    "domestic_abuse_perpetrator",
                    "children_front_door",
                    "signpost_other",
                ],
            ),
            (Tier, ["enhanced", "standard"]),
            (EnhancedGround, ["most_serious_crime", "persistently_targeted", "vulnerable", "intimidated"]),
            (Priority, ["emergency", "high", "normal"]),
            (
                Flag,
                [
                    "safeguarding",
                    "high_risk_da",
                    "child",
                    "children_in_household",
                    "case_review_eligible",
                    "mediation_unsuitable",
                    "hate_aggravated",
                    "early_intervention",
                    "consent_to_seek",
                    "safety_unclear",
                    "outside_area",
                ],
            ),
        ],
        ids=lambda value: value.__name__ if isinstance(value, type) else "values",
    )
    def test_values_in_contract_order(self, members: type[enum.StrEnum], values: list[str]) -> None:
        assert [member.value for member in members] == values
        assert issubclass(members, enum.StrEnum)


class TestTriageInputDefaults:
    @pytest.mark.parametrize(
        ("field", "default"),
        [
            ("reporter_role", "self"),
            ("lawful_basis", "consent"),
            ("consent", "not_asked"),
            ("age_years", None),
            ("send", False),
            ("incident_type", "unsure"),
            ("relationship", "unknown"),
            ("other_party_age_16_plus", None),
            ("hate_strands", []),
            ("most_serious_category", None),
            ("repeat_targeting", False),
            ("vulnerabilities", []),
            ("intimidated", False),
            ("immediate_danger", "no"),
            ("da_red_flags", []),
            ("da_police_reports_12m", 0),
            ("child_exposed_to_da", False),
            ("child_safeguarding_concern", False),
            ("perpetrator_risk_to_others", False),
            ("asb_reports_6m", 0),
            ("asb_last_report_days", None),
            ("mediation_requested", False),
            ("violence_or_threats", False),
            ("lives_in_area", True),
        ],
    )
    def test_default(self, field: str, default: object) -> None:
        assert TriageInput().model_dump(mode="json")[field] == default

    def test_fields_are_exactly_the_contracts(self) -> None:
        assert len(TriageInput.model_fields) == 25

    def test_received_at_defaults_to_now_in_utc(self) -> None:
        before = datetime.now(UTC)

        received_at = TriageInput().received_at

        assert received_at.utcoffset() == timedelta(0)
        assert before <= received_at <= datetime.now(UTC)

    def test_lists_are_deduplicated_in_declared_order(self) -> None:
        case = TriageInput.model_validate(
            {
                "hate_strands": ["religion", "race", "religion"],
                "vulnerabilities": ["other", "autism", "autism"],
                "da_red_flags": ["stalking", "weapon", "stalking", "strangulation"],
            }
        )

        assert case.hate_strands == [HateStrand.RACE, HateStrand.RELIGION]
        assert case.vulnerabilities == [Vulnerability.AUTISM, Vulnerability.OTHER]
        assert case.da_red_flags == [DaRedFlag.STRANGULATION, DaRedFlag.WEAPON, DaRedFlag.STALKING]

    @pytest.mark.parametrize(
        ("received_at", "offset"),
        [
            ("2026-11-24T10:00:00Z", timedelta(0)),
            ("2026-07-01T10:00:00+01:00", timedelta(hours=1)),
            ("2026-07-01T10:00:00-05:00", timedelta(hours=-5)),
        ],
    )
    def test_received_at_keeps_its_offset(self, received_at: str, offset: timedelta) -> None:
        assert TriageInput.model_validate({"received_at": received_at}).received_at.utcoffset() == offset

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("age_years", 0),
            ("age_years", 120),
            ("age_years", None),
            ("other_party_age_16_plus", None),
            ("other_party_age_16_plus", False),
            ("asb_last_report_days", 0),
            ("da_police_reports_12m", 0),
            ("most_serious_category", "terrorism"),
            ("received_at", "2000-01-01T00:00:00Z"),
            ("received_at", "2099-12-31T23:59:59Z"),
        ],
    )
    def test_boundary_values_are_accepted(self, field: str, value: object) -> None:
        TriageInput.model_validate({field: value})

    def test_input_is_immutable(self) -> None:
        case = TriageInput()

        with pytest.raises(ValidationError):
            case.age_years = 30  # type: ignore[misc]


class TestTriageInputErrors:
    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("age_years", 121, "less than or equal to 120"),
            ("age_years", -1, "greater than or equal to 0"),
            ("age_years", "34", "valid integer"),
            ("age_years", 34.5, "valid integer"),
            ("age_years", True, "valid integer"),
            ("send", "yes", "valid boolean"),
            ("send", 1, "valid boolean"),
            ("lives_in_area", None, "valid boolean"),
            ("other_party_age_16_plus", "no", "valid boolean"),
            ("reporter_role", "victim", "Input should be 'self'"),
            ("lawful_basis", "legitimate_interest", "Input should be"),
            ("consent", "yes", "Input should be"),
            ("incident_type", "HATE", "Input should be"),
            ("relationship", "cousin", "Input should be"),
            ("most_serious_category", "burglary", "Input should be"),
            ("immediate_danger", True, "Input should be"),
            ("da_police_reports_12m", -1, "greater than or equal to 0"),
            ("asb_reports_6m", -3, "greater than or equal to 0"),
            ("asb_last_report_days", -1, "greater than or equal to 0"),
            ("hate_strands", "race", "valid list"),
            ("received_at", "2026-11-24T10:00:00", "timezone"),
            ("received_at", "yesterday", "datetime"),
            ("received_at", "1999-12-31T23:59:59Z", "2000–2099"),
            ("received_at", "9999-12-31T23:00:00Z", "2000–2099"),
        ],
    )
    def test_bad_value_names_the_field(self, field: str, value: object, message: str) -> None:
        with pytest.raises(ValidationError) as raised:
            TriageInput.model_validate({field: value})

        assert error_fields(raised.value) == [field]
        assert message in raised.value.errors()[0]["msg"]

    @pytest.mark.parametrize(
        ("field", "value", "location"),
        [
            ("hate_strands", ["race", "colour"], "hate_strands.1"),
            ("vulnerabilities", ["frail"], "vulnerabilities.0"),
            ("da_red_flags", ["weapon", "knife"], "da_red_flags.1"),
        ],
    )
    def test_bad_list_item_names_its_position(self, field: str, value: list[str], location: str) -> None:
        with pytest.raises(ValidationError) as raised:
            TriageInput.model_validate({field: value})

        assert error_fields(raised.value) == [location]

    def test_unknown_field_is_an_error_naming_it(self) -> None:
        with pytest.raises(ValidationError) as raised:
            TriageInput.model_validate({"age": 34})

        assert error_fields(raised.value) == ["age"]
        assert raised.value.errors()[0]["type"] == "extra_forbidden"

    def test_naive_datetime_object_is_refused(self) -> None:
        with pytest.raises(ValidationError) as raised:
            TriageInput(received_at=datetime(2026, 11, 24, 10, 0))

        assert error_fields(raised.value) == ["received_at"]

    def test_json_input_is_validated_the_same_way(self) -> None:
        with pytest.raises(ValidationError) as raised:
            TriageInput.model_validate_json('{"age_years": 200, "colour": "red"}')

        assert sorted(error_fields(raised.value)) == ["age_years", "colour"]


class TestTriageDecision:
    @pytest.mark.parametrize(
        ("received_at", "deadline"),
        [
            ("2026-11-24T10:00:00Z", "2026-11-25T17:00:00+00:00"),
            ("2026-07-01T10:00:00Z", "2026-07-02T17:00:00+01:00"),
            ("2026-03-27T10:00:00Z", "2026-03-30T17:00:00+01:00"),
            ("2026-10-23T10:00:00+01:00", "2026-10-26T17:00:00+00:00"),
        ],
    )
    def test_deadline_is_iso_8601_in_london_with_offset(self, received_at: str, deadline: str) -> None:
        decision = evaluate(
            TriageInput.model_validate(
                {"consent": "given", "incident_type": "hate", "received_at": received_at}
            )
        )

        assert json.loads(decision.model_dump_json())["deadline"] == deadline
        assert decision.model_dump(mode="json")["deadline"] == deadline

    def test_json_shape(self) -> None:
        decision = evaluate(
            TriageInput.model_validate(
                {"consent": "given", "incident_type": "asb", "received_at": "2026-12-18T16:00:00Z"}
            )
        )

        assert json.loads(decision.model_dump_json()) == {
            "outcome": "referred",
            "queue": "asb_mediation",
            "secondary_queue": None,
            "tier": "standard",
            "enhanced_grounds": [],
            "emergency": False,
            "priority": "normal",
            "deadline": "2026-12-22T17:00:00+00:00",
            "flags": [],
            "reasons": [{"rule": "R8", "key": "triage.reason.r8_asb"}],
            "rules_version": decision.rules_version,
        }

    def test_nothing_referred_serialises_null_deadline(self) -> None:
        decision = evaluate(TriageInput())

        assert json.loads(decision.model_dump_json())["deadline"] is None

    def test_round_trips_through_json(self) -> None:
        decision = evaluate(
            TriageInput.model_validate(
                {
                    "consent": "given",
                    "incident_type": "domestic_abuse",
                    "child_exposed_to_da": True,
                    "da_red_flags": ["weapon"],
                    "received_at": "2026-07-03T18:00:00+01:00",
                }
            )
        )

        assert TriageDecision.model_validate_json(decision.model_dump_json()) == decision

    def test_unknown_field_is_refused(self) -> None:
        payload: dict[str, Any] = json.loads(evaluate(TriageInput()).model_dump_json())
        payload["score"] = 3

        with pytest.raises(ValidationError) as raised:
            TriageDecision.model_validate(payload)

        assert error_fields(raised.value) == ["score"]
