"""Golden runs: each script in scripts.yml through its flow → the TriageInput the bot builds → the decision.

A change to a flow, the answer parser, the mapping or the triage rules shows up here as a diff of
golden/<name>.json. Review it, then rewrite the files with `UPDATE_GOLDEN=1 python -m pytest tests/flows`.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

import pytest

from api.flow import load_flows
from flowkit import logic
from flowkit.answers import check_answers
from tests.flows.runs import TODAY, golden_path, golden_text, play, scripts

FLOWS = load_flows()
SCRIPTS = scripts()
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def given(answers: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in answers.items() if value is not None}


class TestGoldenRuns:
    @pytest.mark.parametrize("name", sorted(SCRIPTS))
    def test_the_run_matches_its_golden_file(self, name: str) -> None:
        text = golden_text(play(name, SCRIPTS[name]))
        path = golden_path(name)
        if UPDATE:
            path.write_text(text, encoding="utf-8")
        assert path.exists(), f"no golden file for {name}: run with UPDATE_GOLDEN=1 and review it"
        assert path.read_text(encoding="utf-8") == text

    def test_every_golden_file_has_a_script(self) -> None:
        files = {p.stem for p in golden_path("x").parent.glob("*.json")}
        assert files == set(SCRIPTS)

    def test_every_flow_has_a_golden_run(self) -> None:
        assert {s["flow"] for s in SCRIPTS.values()} == set(FLOWS)

    def test_every_exit_of_every_flow_is_taken_by_some_run(self) -> None:
        taken = {(run.flow, run.exit) for run in (play(n, s) for n, s in SCRIPTS.items())}
        journeys = {"hate_crime", "asb", "domestic_abuse", "perpetrator", "young_person"}
        for flow in FLOWS.values():
            own = {e.id for e in flow.spec.exits}
            assert own <= {exit_id for fid, exit_id in taken if fid == flow.id}, flow.id
        assert {fid for fid, exit_id in taken if exit_id == "refer"} == journeys


class TestTheAgencyRouteReadsAnswersTheSameWay:
    """The agency route (complete canonical answers, checked) and the conversation (answers parsed one by
    one) agree on every golden run: the questions, the exit and the TriageInput."""

    @pytest.mark.parametrize("name", sorted(SCRIPTS))
    def test_the_same_questions_and_exit(self, name: str) -> None:
        run = play(name, SCRIPTS[name])
        asked, missing, exit_ = logic.asked(FLOWS[run.flow], run.answers)
        assert missing is None
        assert exit_.id == run.exit
        assert asked == list(dict.fromkeys(t.question for t in run.turns))

    @pytest.mark.parametrize("name", sorted(n for n, s in SCRIPTS.items() if play(n, s).submits))
    def test_the_same_triage_input(self, name: str) -> None:
        run = play(name, SCRIPTS[name])
        flow = FLOWS[run.flow]
        checked = check_answers(flow, given(run.answers), allow_fictional_phones=True)
        from_api = logic.triage_data(flow, checked, TODAY)
        assert run.triage_input is not None
        from_bot = {k: v for k, v in run.triage_input.items() if k not in ("lawful_basis", "consent")}
        assert {**from_api, "immediate_danger": "no"} == from_bot

    def test_a_later_day_counts_days_from_that_day(self) -> None:
        run = play("asb_case_review", SCRIPTS["asb_case_review"], today=date(2026, 12, 1))
        assert run.triage_input is not None
        assert run.triage_input["asb_last_report_days"] == 10
