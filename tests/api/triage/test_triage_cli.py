"""`python -m api.triage evaluate`: JSON in, JSON out; bad input exits 2 with stderr naming the field."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from api.triage import TriageInput, evaluate

REPO_ROOT = Path(__file__).resolve().parents[3]
COMMAND = [sys.executable, "-m", "api.triage"]


def run(stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )


class TestEvaluateCommand:
    def test_worked_example_1(self) -> None:
        payload = {
            "reporter_role": "self",
            "consent": "given",
            "age_years": 34,
            "incident_type": "hate",
            "hate_strands": ["race"],
            "received_at": "2026-11-24T10:00:00Z",
        }

        result = run(json.dumps(payload), "evaluate")

        assert result.returncode == 0
        assert result.stderr == ""
        decision = json.loads(result.stdout)
        assert decision["outcome"] == "referred"
        assert decision["queue"] == "hate_crime"
        assert decision["tier"] == "enhanced"
        assert decision["enhanced_grounds"] == ["most_serious_crime"]
        assert decision["priority"] == "normal"
        assert decision["deadline"] == "2026-11-25T17:00:00+00:00"

    @pytest.mark.parametrize(
        "payload",
        [
            {"reporter_role": "third_party", "consent": "not_asked", "incident_type": "domestic_abuse"},
            {
                "consent": "given",
                "age_years": 29,
                "incident_type": "domestic_abuse",
                "da_red_flags": ["strangulation"],
                "immediate_danger": "yes",
                "received_at": "2026-11-28T23:00:00Z",
            },
            {
                "lawful_basis": "police_referral",
                "incident_type": "asb",
                "received_at": "2026-07-01T16:00:00Z",
            },
        ],
        ids=["rejected", "emergency", "police_referral_in_summer"],
    )
    def test_output_is_the_decision_of_evaluate(self, payload: dict[str, object]) -> None:
        result = run(json.dumps(payload), "evaluate")

        assert result.returncode == 0
        expected = evaluate(TriageInput.model_validate(payload)).model_dump(mode="json")
        assert json.loads(result.stdout) == expected

    def test_empty_object_uses_the_defaults(self) -> None:
        result = run("{}", "evaluate")

        assert result.returncode == 0
        assert json.loads(result.stdout)["outcome"] == "signposted"

    @pytest.mark.parametrize(
        ("stdin", "expected_line"),
        [
            ('{"age_years": 121}', "age_years: Input should be less than or equal to 120"),
            ('{"favourite_colour": "red"}', "favourite_colour: unknown field"),
            ('{"incident_type": "burglary"}', "incident_type: Input should be"),
            ('{"send": "yes"}', "send: Input should be a valid boolean"),
            ('{"received_at": "2026-11-24T10:00:00"}', "received_at: Input should have timezone info"),
            ('{"hate_strands": ["race", "colour"]}', "hate_strands.1: Input should be"),
            ('{"asb_reports_6m": -1}', "asb_reports_6m: Input should be greater than or equal to 0"),
            ("[1, 2]", "input: Input should be an object"),
            ('"hate"', "input: Input should be an object"),
            ("{not json", "input: Invalid JSON"),
            ("", "input: Invalid JSON"),
        ],
        ids=[
            "age_too_high",
            "unknown_field",
            "bad_enum",
            "bad_bool",
            "naive_datetime",
            "bad_list_item",
            "negative_count",
            "array",
            "string",
            "bad_json",
            "empty",
        ],
    )
    def test_invalid_input_exits_2_naming_the_field(self, stdin: str, expected_line: str) -> None:
        result = run(stdin, "evaluate")

        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr.startswith(expected_line)
        assert "Traceback" not in result.stderr

    def test_one_line_per_error(self) -> None:
        result = run('{"age_years": -4, "consent": "maybe", "postcode": "ST1 1AA"}', "evaluate")

        assert result.returncode == 2
        lines = result.stderr.splitlines()
        assert [line.split(":")[0] for line in lines] == ["consent", "age_years", "postcode"]

    def test_input_values_are_not_echoed(self) -> None:
        result = run('{"relationship": "Jane Doe 07700 900123"}', "evaluate")

        assert result.returncode == 2
        assert "Jane Doe" not in result.stderr


class TestCommandLine:
    @pytest.mark.parametrize("args", [("--help",), ("evaluate", "--help")])
    def test_help(self, args: tuple[str, ...]) -> None:
        result = run("", *args)

        assert result.returncode == 0
        assert "evaluate" in result.stdout

    @pytest.mark.parametrize("args", [(), ("judge",)])
    def test_missing_or_unknown_command_exits_2(self, args: tuple[str, ...]) -> None:
        result = run("{}", *args)

        assert result.returncode == 2
        assert "usage:" in result.stderr
