"""Read flows/*.yml and include sections, as api/flow/loader.py does (the api's loader is the one that
validates; CI refuses a broken flow before the bot ever reads it)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
FLOWS_DIR = REPO_ROOT / "flows"


@dataclass(frozen=True)
class FlowExit:
    id: str
    owner: str  # the flow or section that defines it: its response is utter_<owner>_<id>
    when: Optional[Dict[str, Any]]
    say: Optional[Dict[str, Any]]
    outcome: str
    forget: str

    @property
    def response(self) -> str:
        return f"utter_{self.owner}_{self.id}"


@dataclass(frozen=True)
class Flow:
    id: str
    kind: str
    intent: Optional[str]
    intro_key: Optional[str]
    triage_constants: Dict[str, Any]
    questions: Tuple[Dict[str, Any], ...]
    exits: Tuple[FlowExit, ...]

    @property
    def form(self) -> str:
        return f"{self.id}_form"

    def question(self, question_id: str) -> Dict[str, Any]:
        for question in self.questions:
            if question["id"] == question_id:
                return question
        raise KeyError(f"{self.id} has no question {question_id}")

    def has_question(self, question_id: str) -> bool:
        return any(q["id"] == question_id for q in self.questions)


def _read(flow_id: str, flows_dir: Path) -> Dict[str, Any]:
    with open(flows_dir / f"{flow_id}.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _exit(raw: Dict[str, Any], owner: str) -> FlowExit:
    return FlowExit(
        id=raw["id"],
        owner=owner,
        when=raw.get("when"),
        say=raw.get("say"),
        outcome=raw.get("outcome", "end"),
        forget=raw.get("forget", "answers"),
    )


@lru_cache(maxsize=None)
def load_flow(flow_id: str, flows_dir: Path = FLOWS_DIR) -> Flow:
    raw = _read(flow_id, flows_dir)
    questions: List[Dict[str, Any]] = []
    exits: List[FlowExit] = []
    for item in raw["questions"]:
        if "use" in item:
            section = _read(item["use"], flows_dir)
            questions.extend(section["questions"])
            exits.extend(_exit(e, section["id"]) for e in section.get("exits") or [])
        else:
            questions.append(item)
    exits.extend(_exit(e, raw["id"]) for e in raw.get("exits") or [])
    return Flow(
        id=raw["id"],
        kind=raw["kind"],
        intent=raw.get("intent"),
        intro_key=raw.get("intro_key"),
        triage_constants=dict(raw.get("triage_constants") or {}),
        questions=tuple(questions),
        exits=tuple(exits),
    )


@lru_cache(maxsize=None)
def flow_ids(flows_dir: Path = FLOWS_DIR) -> Tuple[str, ...]:
    """Every flow that is not a section (sections are only included)."""
    ids = []
    for path in sorted(flows_dir.glob("*.yml")):
        with open(path, encoding="utf-8") as handle:
            if (yaml.safe_load(handle) or {}).get("kind") != "section":
                ids.append(path.stem)
    return tuple(ids)


def flow_for_intent(intent: Optional[str], flows_dir: Path = FLOWS_DIR) -> Optional[str]:
    for flow_id in flow_ids(flows_dir):
        if intent and load_flow(flow_id, flows_dir).intent == intent:
            return flow_id
    return None


def flow_for_form(form: Optional[str], flows_dir: Path = FLOWS_DIR) -> Optional[str]:
    if form and form.endswith("_form") and form[: -len("_form")] in flow_ids(flows_dir):
        return form[: -len("_form")]
    return None


def all_question_ids(flows_dir: Path = FLOWS_DIR) -> List[str]:
    seen: Dict[str, None] = {}
    for flow_id in flow_ids(flows_dir):
        for question in load_flow(flow_id, flows_dir).questions:
            seen.setdefault(question["id"], None)
    return list(seen)
