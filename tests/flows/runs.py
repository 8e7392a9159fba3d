"""Golden runs: a scripted (synthetic) person through a flow, as the bot's own flow code sees it.

A run asks the questions in the order the flow's branching gives, feeds each the script's answer (trying
the next one when validation refuses it), then builds what the bot would submit: the answers, the contact
details, the consent purposes and the TriageInput, and the api's triage decision on it. The same scripts
drive the end-to-end journeys (tests/e2e/test_journeys_en.py) through the real processes.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from api.config import REPO_ROOT
from api.triage import TriageInput, evaluate
from flowkit import logic
from flowkit.flows import load_flow
from flowkit.parse import parse_answer

# The scripts use Ofcom's drama numbers (synthetic data), which the parser accepts only when allowed.
os.environ.setdefault("ALLOW_FICTIONAL_PHONE_NUMBERS", "true")
HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "scripts.yml"
GOLDEN = HERE / "golden"
TODAY = date(2026, 11, 24)  # a Tuesday
RECEIVED_AT = datetime.fromisoformat("2026-11-24T10:00:00+00:00")


@dataclass
class Turn:
    question: str
    said: str
    refused: str | None = None  # the validation response, when the answer was refused


@dataclass
class Run:
    name: str
    flow: str
    turns: list[Turn] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)  # canonical, every question of the flow
    exit: str = ""
    exit_response: str | None = None
    submits: bool = False
    referral: dict[str, Any] | None = None
    triage_input: dict[str, Any] | None = None
    decision: dict[str, Any] | None = None

    def golden(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "today": TODAY.isoformat(),
            "received_at": RECEIVED_AT.isoformat(),
            "turns": [
                {"asked": t.question, "said": t.said, **({"refused_with": t.refused} if t.refused else {})}
                for t in self.turns
            ],
            "exit": self.exit,
            "says": self.exit_response,
            "submits": self.submits,
            "referral": self.referral,
            "triage_input": self.triage_input,
            "decision": self.decision,
        }


def scripts() -> dict[str, dict[str, Any]]:
    loaded: dict[str, dict[str, Any]] = yaml.safe_load(SCRIPTS.read_text(encoding="utf-8"))
    return loaded


def payload_intent(said: str) -> str | None:
    """The intent a button payload carries ("/affirm", '/inform{...}'); typed text has none here."""
    match = re.match(r"^/([a-z_]+)", said)
    return match.group(1) if match else None


def play(name: str, script: dict[str, Any], today: date = TODAY) -> Run:
    flow = load_flow(script["flow"])
    inputs: dict[str, Any] = script["inputs"]
    run = Run(name=name, flow=flow.id)
    slots: dict[str, Any] = {}
    while True:
        _, question_id, exit_ = logic.asked(flow, logic.canonical_answers(flow, slots))
        if question_id is None:
            break
        if question_id not in inputs:
            raise AssertionError(f"{name}: the flow asks {question_id}, which the script does not answer")
        answers = inputs[question_id] if isinstance(inputs[question_id], list) else [inputs[question_id]]
        for said in answers:
            parsed = parse_answer(flow.question(question_id), said, payload_intent(said), "en", today)
            run.turns.append(Turn(question_id, said, parsed.error))
            if parsed.ok:
                slots[question_id] = parsed.value
                break
        else:
            raise AssertionError(f"{name}: no answer to {question_id} was accepted")
    run.answers = logic.canonical_answers(flow, slots)
    run.exit = exit_.id
    run.exit_response = exit_.response if exit_.say else None
    run.submits = logic.submits(exit_)
    if run.submits:
        answers_kept, person, purposes, triage = logic.referral_parts(flow, slots, today)
        run.referral = {"answers": answers_kept, "person": person, "purposes": purposes}
        triage.update({"lawful_basis": "consent", "consent": "given", "immediate_danger": "no"})
        run.triage_input = triage
        decision = evaluate(TriageInput.model_validate({**triage, "received_at": RECEIVED_AT}))
        run.decision = decision.model_dump(mode="json")
    return run


def golden_path(name: str) -> Path:
    return GOLDEN / f"{name}.json"


def golden_text(run: Run) -> str:
    return json.dumps(run.golden(), indent=2, ensure_ascii=False) + "\n"


def locales_root() -> Path:
    return REPO_ROOT / "locales"
