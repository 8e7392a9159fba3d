"""The flow spec and its loader: the repository's flows load; a broken flow is refused with a clear reason."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.config import REPO_ROOT
from api.flow import load_flows
from api.flow.__main__ import schema_text
from flowkit.flows import SCHEMA_FILE
from flowkit.spec import FIELDS, SPEC_VERSION, FlowError, parse_flow

FLOWS = REPO_ROOT / "flows"
LOCALES = REPO_ROOT / "locales"
Edit = Callable[[dict[str, Any]], None]


def question(flow: dict[str, Any], question_id: str) -> dict[str, Any]:
    return next(q for q in flow["questions"] if q.get("id") == question_id)


def broken_copy(tmp_path: Path, flow_id: str, edit: Edit) -> Path:
    """A copy of flows/ in which one flow has been edited."""
    target = tmp_path / "flows"
    shutil.copytree(FLOWS, target)
    path = target / f"{flow_id}.yml"
    flow = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(flow)
    path.write_text(yaml.safe_dump(flow, sort_keys=False), encoding="utf-8")
    return target


class TestTheRepositoryFlows:
    def test_they_load(self) -> None:
        flows = load_flows(FLOWS, LOCALES)
        assert set(flows) == {
            "start",
            "hate_crime",
            "asb",
            "domestic_abuse",
            "perpetrator",
            "someone_else",
            "young_person",
            "unsure",
        }

    def test_each_carries_the_spec_version(self) -> None:
        for path in FLOWS.glob("*.yml"):
            assert yaml.safe_load(path.read_text())["spec_version"] == SPEC_VERSION, path.name

    def test_the_json_schema_is_up_to_date(self) -> None:
        assert (FLOWS / SCHEMA_FILE).read_text(encoding="utf-8") == schema_text(), (
            "flows/flow.schema.json is stale: run `python -m api.flow schema`"
        )

    def test_the_schema_names_every_answer_type(self) -> None:
        schema = json.loads((FLOWS / SCHEMA_FILE).read_text())
        assert set(schema["$defs"]["AnswerType"]["enum"]) == {
            "choice",
            "yes_no",
            "number",
            "date",
            "phone",
            "postcode",
            "free_text",
        }

    def test_the_schema_names_the_fields_flowkit_reads(self) -> None:
        definitions = json.loads((FLOWS / SCHEMA_FILE).read_text())["$defs"]
        for name, fields in FIELDS.items():
            properties = definitions[name]["properties"] if name != "Flow" else None
            if properties is None:
                properties = json.loads((FLOWS / SCHEMA_FILE).read_text())["properties"]
            assert set(properties) == set(fields), name

    def test_sections_are_included_with_their_exits(self) -> None:
        flow = load_flows(FLOWS, LOCALES)["hate_crime"]
        ids = [q.id for q in flow.questions]
        assert ids[:5] == ["safe_to_talk", "postcode", "in_area", "consent_store", "consent_share"]
        assert [flow.exit_response(i) for i in range(len(flow.exits))] == [
            "utter_safety_leave_now",
            "utter_area_out_of_area",
            "utter_consent_declined",
            "utter_hate_crime_refer",
        ]

    def test_every_journey_that_refers_asks_for_consent_first_of_what_it_keeps(self) -> None:
        for flow in load_flows(FLOWS, LOCALES).values():
            if not any(e.outcome == "submit" for e in flow.exits):
                continue
            ids = [q.id for q in flow.questions]
            consent = ids.index("consent_share")
            kept_before = [q.id for q in flow.questions[:consent] if q.store and q.type != "yes_no"]
            # Only the questions that decide whether and where we can help come before consent.
            assert set(kept_before) <= {"postcode", "child_age", "child_what"}, flow.id


def _set(path: list[str | int], value: Any) -> Edit:
    def edit(flow: dict[str, Any]) -> None:
        node: Any = flow
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return edit


def _question_edit(question_id: str, change: dict[str, Any]) -> Edit:
    def edit(flow: dict[str, Any]) -> None:
        question(flow, question_id).update(change)

    return edit


def _append_question(new: dict[str, Any]) -> Edit:
    def edit(flow: dict[str, Any]) -> None:
        flow["questions"].append(new)

    return edit


def _insert_question(index: int, new: dict[str, Any]) -> Edit:
    def edit(flow: dict[str, Any]) -> None:
        flow["questions"].insert(index, new)

    return edit


def _drop_consent(flow: dict[str, Any]) -> None:
    flow["questions"] = [q for q in flow["questions"] if q.get("use") != "consent"]


BROKEN: dict[str, tuple[str, Edit, str]] = {
    "an agency question that reads what only the bot asks": (
        "hate_crime",
        _question_edit("incident_description", {"when": {"answer": "safe_to_talk", "equals": True}}),
        "agency variant: question incident_description reads 'safe_to_talk'",
    ),
    "a question the bot does not ask": (
        "hate_crime",
        _question_edit("hate_strand", {"asked_by": ["agency"]}),
        "asked_by must include bot",
    ),
    "an unknown answer type": (
        "hate_crime",
        _question_edit("hate_strand", {"type": "colour"}),
        "type",
    ),
    "a duplicate question id": (
        "asb",
        _append_question({"id": "asb_what", "type": "yes_no", "text_key": "bot.asb.ask_violence"}),
        "appears twice",
    ),
    "a question that repeats one from a section": (
        "asb",
        _append_question({"id": "postcode", "type": "yes_no", "text_key": "bot.asb.ask_violence"}),
        "appears twice",
    ),
    "a text key missing from a locale": (
        "asb",
        _question_edit("asb_what", {"text_key": "bot.asb.ask_nothing_here"}),
        "not in locales/bot.ar.yml: bot.asb.ask_nothing_here",  # the first language, in order
    ),
    "a choice label missing from a locale": (
        "hate_crime",
        _question_edit(
            "hate_strand",
            {
                "choices": [
                    {"value": "race", "text_key": "bot.button.strand_race"},
                    {"value": "other", "text_key": "bot.button.strand_age"},
                ]
            },
        ),
        "bot.button.strand_age",
    ),
    "a branch on an answer not asked before it": (
        "asb",
        _question_edit("asb_what", {"when": {"answer": "asb_reports", "gt": 0}}),
        "reads 'asb_reports', which is not asked before it",
    ),
    "a branch on an answer that does not exist": (
        "asb",
        _question_edit("asb_last_report", {"when": {"answer": "asb_count", "gt": 0}}),
        "reads 'asb_count'",
    ),
    "a branch on a choice that does not exist": (
        "asb",
        _question_edit("asb_targeted", {"when": {"answer": "asb_how_long", "equals": "forever"}}),
        "has no choice 'forever'",
    ),
    "a number test on a yes/no": (
        "asb",
        _question_edit("asb_frightened", {"when": {"answer": "asb_violence", "gt": 1}}),
        "compares asb_violence as a number",
    ),
    "an exit button into a flow that does not exist": (
        "unsure",
        _set(["exits", 0, "say", "buttons", 0, "flow"], "burglary"),
        "no such flow",
    ),
    "an exit on an answer that does not exist": (
        "perpetrator",
        _set(["exits", 0, "when"], {"answer": "perp_ready", "equals": False}),
        "reads 'perp_ready'",
    ),
    "a last exit with a condition": (
        "unsure",
        _set(["exits", 4, "when"], {"answer": "unsure_closest", "equals": "none"}),
        "the last exit has no 'when'",
    ),
    "a section that does not exist": (
        "asb",
        _insert_question(0, {"use": "nowhere"}),
        "names no section",
    ),
    "a referral without consent": ("asb", _drop_consent, "never asks for consent"),
    "a triage field that does not exist": (
        "asb",
        _question_edit("asb_violence", {"triage": {"field": "violent"}}),
        "'violent'",
    ),
    "a triage value the field refuses": (
        "domestic_abuse",
        _question_edit("da_weapon", {"triage": {"field": "da_red_flags", "if_yes": "knife"}}),
        "da_red_flags cannot be ['knife']",
    ),
    "a choice mapped onto a field that refuses it": (
        "asb",
        _question_edit("asb_what", {"triage": {"field": "relationship"}}),
        "relationship cannot be 'noise'",
    ),
    "consent set by a flow": (
        "asb",
        _set(["triage_constants"], {"incident_type": "asb", "consent": "given"}),
        "may not set",
    ),
    "free text without a length limit": (
        "asb",
        _question_edit("asb_description", {"max_length": None}),
        "needs max_length",
    ),
    "a limit that does not fit the type": (
        "asb",
        _question_edit("asb_violence", {"max_length": 5}),
        "does not apply",
    ),
    "a file name that is not the id": ("asb", _set(["id"], "antisocial"), "must be the file name"),
    "another spec version": ("asb", _set(["spec_version"], 2), "spec_version 2 is not supported"),
    "a question id shared with another flow but different": (
        "perpetrator",
        _question_edit("perp_children", {"id": "da_children"}),
        "differs from the one in",
    ),
}


class TestBrokenFlowsAreRefused:
    @pytest.mark.parametrize("case", sorted(BROKEN))
    def test_refused(self, case: str, tmp_path: Path) -> None:
        flow_id, edit, message = BROKEN[case]
        flows_dir = broken_copy(tmp_path, flow_id, edit)
        with pytest.raises(FlowError) as raised:
            load_flows(flows_dir, LOCALES)
        assert message in str(raised.value)

    def test_a_locale_without_a_key_is_refused_for_every_language(self, tmp_path: Path) -> None:
        locales = tmp_path / "locales"
        shutil.copytree(LOCALES, locales)
        english = yaml.safe_load((locales / "bot.en.yml").read_text())
        welsh = {"cy": {k: v for k, v in english["en"].items() if k != "asb"}}
        (locales / "bot.cy.yml").write_text(yaml.safe_dump(welsh, allow_unicode=True))
        with pytest.raises(FlowError, match=r"not in locales/bot\.cy\.yml"):
            load_flows(FLOWS, locales)


class TestTheSpec:
    def test_a_condition_needs_exactly_one_test(self) -> None:
        raw = yaml.safe_load((FLOWS / "asb.yml").read_text())
        question(raw, "asb_last_report")["when"] = {"answer": "asb_reports", "gt": 0, "lt": 5}
        with pytest.raises(ValueError, match="exactly one test"):
            parse_flow(raw)

    def test_only_a_journey_submits(self) -> None:
        raw = yaml.safe_load((FLOWS / "unsure.yml").read_text())
        raw["exits"][-1] = {"id": "refer", "outcome": "submit"}
        with pytest.raises(ValueError, match="only a journey submits"):
            parse_flow(raw)

    def test_unknown_keys_are_refused(self) -> None:
        raw = yaml.safe_load((FLOWS / "asb.yml").read_text())
        raw["colour"] = "blue"
        with pytest.raises(ValueError, match="colour"):
            parse_flow(raw)
