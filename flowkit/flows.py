"""Load every flow in flows/, include sections, and refuse a broken flow.

Checks beyond one file's own (spec.py): the file name is the flow's id; the spec version is this code's;
sections named by `use:` exist; question ids are unique in a flow (after sections are included) and mean the
same in every flow (they are the bot's slots); a `when:` only reads answers asked before it (also in the
agency variant); exit buttons start flows that exist; one intent starts one flow; every `text_key` is in
every `locales/bot.<lang>.yml`; a flow that submits a referral asks for consent; and, when the caller passes a
`TriageCheck` (the api passes one made from its TriageInput model), triage mappings produce values it accepts.

The bot and the api read flows through this one loader (`load_flow` and friends are the repository's flows,
loaded once and cached).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from flowkit.spec import (
    LIST_FIELDS,
    SPEC_VERSION,
    AnswerType,
    Asker,
    Condition,
    Exit,
    ExitOutcome,
    FlowError,
    FlowKind,
    FlowSpec,
    Include,
    Question,
    Transform,
    TriageMap,
    parse_flow,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
FLOWS_DIR = REPO_ROOT / "flows"
LOCALES_DIR = REPO_ROOT / "locales"
CONSENT_QUESTIONS = ("consent_store", "consent_share")
SCHEMA_FILE = "flow.schema.json"
# TriageInput fields no flow may set: the api sets them (consent, lawful basis, the time received).
NOT_A_FLOWS_TO_SET = ("received_at", "consent", "lawful_basis")
# Tries one value on one TriageInput field: raises KeyError when there is no such field, ValueError when
# the field refuses the value (a list field is given a list). flowkit knows no TriageInput: the api does.
TriageCheck = Callable[[str, Any], None]


@dataclass(frozen=True)
class LoadedFlow:
    """A flow with its sections included: every question it may ask, in order, and every exit, in order
    (the exits of included sections first, in the order they were included)."""

    spec: FlowSpec
    questions: tuple[Question, ...]
    exits: tuple[Exit, ...]
    sections: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def kind(self) -> FlowKind:
        return self.spec.kind

    @property
    def intent(self) -> str | None:
        return self.spec.intent

    @property
    def intro_key(self) -> str | None:
        return self.spec.intro_key

    @property
    def triage_constants(self) -> dict[str, Any]:
        return self.spec.triage_constants

    @property
    def form(self) -> str:
        return f"{self.spec.id}_form"

    def exit_response(self, index: int) -> str:
        """The response an exit says: utter_<the flow or section that defines it>_<exit id>."""
        return self.exits[index].response

    def for_agency(self) -> LoadedFlow:
        """The agency variant: the questions an agency answers on the person's behalf (`asked_by` includes
        agency), and the exits that read only those. What only the person can say in the conversation
        (safe to talk now, their own consent) is left out with the exits it leads to; the agency attests
        the person's consent instead."""
        questions = tuple(q for q in self.questions if Asker.agency in q.asked_by)
        kept = {q.id for q in questions}
        exits = tuple(e for e in self.exits if e.when is None or e.when.answers_named() <= kept)
        return LoadedFlow(self.spec, questions, exits, self.sections)

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(f"{self.id} has no question {question_id}")

    def has_question(self, question_id: str) -> bool:
        return any(q.id == question_id for q in self.questions)


def read_flow_file(path: Path) -> FlowSpec:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise FlowError(f"{path.name}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise FlowError(f"{path.name}: a flow is a mapping")
    version = raw.get("spec_version")
    if version != SPEC_VERSION:
        raise FlowError(
            f"{path.name}: spec_version {version!r} is not supported (this code reads {SPEC_VERSION})"
        )
    try:
        flow = parse_flow(raw, path.stem)
    except FlowError as exc:
        raise FlowError(f"{path.name}: {exc}") from exc
    if flow.id != path.stem:
        raise FlowError(f"{path.name}: id {flow.id!r} must be the file name")
    return flow


def locale_keys(locales_dir: Path) -> dict[str, set[str]]:
    """Every `bot.*` key per language, from `locales/bot.<lang>.yml`."""
    keys: dict[str, set[str]] = {}
    for path in sorted(locales_dir.glob("bot.*.yml")):
        language = path.name.split(".")[1]
        tree = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get(language) or {}
        found: set[str] = set()

        def walk(node: Any, prefix: str, found: set[str] = found) -> None:
            if isinstance(node, dict):
                for name, child in node.items():
                    walk(child, f"{prefix}.{name}", found)
            else:
                found.add(prefix)

        walk(tree, "bot")
        keys[language] = found
    return keys


def load_flows(
    flows_dir: Path = FLOWS_DIR, locales_dir: Path = LOCALES_DIR, triage_check: TriageCheck | None = None
) -> dict[str, LoadedFlow]:
    """Every flow that is not a section, by id, checked (see the module's docstring)."""
    specs: dict[str, FlowSpec] = {}
    for path in sorted(flows_dir.glob("*.yml")):
        spec = read_flow_file(path)
        specs[spec.id] = spec
    if not specs:
        raise FlowError(f"no flows in {flows_dir}")
    loaded = {fid: _expand(spec, specs) for fid, spec in specs.items() if spec.kind != FlowKind.section}
    _check_shared_questions(specs)
    intents: dict[str, str] = {}
    for flow in loaded.values():
        _check_order(flow)
        if flow.kind == FlowKind.journey:
            _check_order(flow.for_agency(), variant="agency variant: ")
        _check_exits(flow, loaded)
        if triage_check is not None:
            _check_triage(flow, triage_check)
        if flow.intent in intents:
            raise FlowError(f"{flow.id}: intent {flow.intent} also starts {intents[str(flow.intent)]}")
        intents[str(flow.intent)] = flow.id
    _check_locale_keys(specs, locales_dir)
    return loaded


def _expand(spec: FlowSpec, specs: dict[str, FlowSpec]) -> LoadedFlow:
    questions: list[Question] = []
    exits: list[Exit] = []
    sections: list[str] = []
    for item in spec.questions:
        if isinstance(item, Include):
            section = specs.get(item.use)
            if section is None or section.kind != FlowKind.section:
                raise FlowError(f"{spec.id}.yml: 'use: {item.use}' names no section in flows/")
            questions.extend(q for q in section.questions if isinstance(q, Question))
            exits.extend(_owned(e, section.id) for e in section.exits)
            sections.append(section.id)
        else:
            questions.append(item)
    exits.extend(_owned(e, spec.id) for e in spec.exits)
    seen: set[str] = set()
    for question in questions:
        if question.id in seen:
            raise FlowError(f"{spec.id}.yml: question id {question.id!r} appears twice")
        seen.add(question.id)
    exit_ids = [e.id for e in exits]
    if len(set(exit_ids)) != len(exit_ids):
        raise FlowError(f"{spec.id}.yml: exit ids repeat once sections are included: {exit_ids}")
    return LoadedFlow(spec, tuple(questions), tuple(exits), tuple(sections))


def _owned(exit_: Exit, owner: str) -> Exit:
    return Exit(exit_.id, exit_.when, exit_.say, exit_.outcome, exit_.forget, owner)


def _check_shared_questions(specs: dict[str, FlowSpec]) -> None:
    """A question id is a slot the bot shares between flows: it must mean the same everywhere."""
    first: dict[str, tuple[str, Question]] = {}
    for spec in specs.values():
        for item in spec.questions:
            if not isinstance(item, Question):
                continue
            if item.id in first and first[item.id][1] != item:
                raise FlowError(
                    f"{spec.id}.yml: question {item.id!r} differs from the one in {first[item.id][0]}.yml; "
                    "give it another id or make them the same"
                )
            first.setdefault(item.id, (spec.id, item))


def _check_condition(flow: LoadedFlow, where: str, condition: Condition, before: list[Question]) -> None:
    known = {q.id: q for q in before}
    for name in sorted(condition.answers_named()):
        if name not in known:
            raise FlowError(f"{flow.id}: {where} reads {name!r}, which is not asked before it")
    _check_tests(flow, where, condition, known)


def _check_tests(flow: LoadedFlow, where: str, condition: Condition, known: dict[str, Question]) -> None:
    for child in condition.children():
        _check_tests(flow, where, child, known)
    if condition.answer is None:
        return
    question = known[condition.answer]
    numeric = any(getattr(condition, t) is not None for t in ("gt", "gte", "lt", "lte"))
    if numeric and question.type != AnswerType.number:
        raise FlowError(f"{flow.id}: {where} compares {question.id} as a number; it is a {question.type}")
    if condition.is_local is not None and question.type != AnswerType.postcode:
        raise FlowError(f"{flow.id}: {where} tests is_local on {question.id}, which is not a postcode")
    compared = [condition.equals] if condition.equals is not None else list(condition.in_ or [])
    for value in compared:
        if question.type == AnswerType.choice and value not in question.choice_values:
            raise FlowError(f"{flow.id}: {where}: {question.id} has no choice {value!r}")
        if question.type == AnswerType.yes_no and not isinstance(value, bool):
            raise FlowError(f"{flow.id}: {where}: {question.id} is yes/no; compare with true or false")


def _check_order(flow: LoadedFlow, variant: str = "") -> None:
    for index, question in enumerate(flow.questions):
        if question.when is not None:
            where = f"{variant}question {question.id}"
            _check_condition(flow, where, question.when, list(flow.questions[:index]))
    for exit_ in flow.exits:
        if exit_.when is not None:
            _check_condition(flow, f"{variant}exit {exit_.id}", exit_.when, list(flow.questions))


def _check_exits(flow: LoadedFlow, loaded: dict[str, LoadedFlow]) -> None:
    for exit_ in flow.exits:
        for button in exit_.say.buttons if exit_.say else ():
            if button.flow not in loaded:
                raise FlowError(f"{flow.id}: exit {exit_.id} has a button into {button.flow!r}, no such flow")
    if any(e.outcome == ExitOutcome.submit for e in flow.exits):
        ids = {q.id for q in flow.questions}
        missing = [q for q in CONSENT_QUESTIONS if q not in ids]
        if missing:
            raise FlowError(f"{flow.id}: submits a referral but never asks for consent ({missing})")


def _trial(flow: LoadedFlow, where: str, field_name: str, value: Any, check: TriageCheck) -> None:
    if field_name in NOT_A_FLOWS_TO_SET:
        raise FlowError(f"{flow.id}: {where} maps onto {field_name!r}, which a flow may not set")
    if field_name in LIST_FIELDS and not isinstance(value, list):
        value = [value]
    try:
        check(field_name, value)
    except KeyError as exc:
        raise FlowError(f"{flow.id}: {where} maps onto {field_name!r}, which a flow may not set") from exc
    except ValueError as exc:
        raise FlowError(f"{flow.id}: {where}: {field_name} cannot be {value!r}") from exc


def _map_samples(question: Question, mapping: TriageMap) -> list[Any]:
    if mapping.values is not None:
        return list(mapping.values.values())
    if mapping.if_yes is not None:
        return [mapping.if_yes]
    if mapping.transform == Transform.days_since:
        return [0, 30]
    if mapping.transform == Transform.is_local:
        return [True]
    if question.type == AnswerType.choice:
        return list(question.choice_values)
    if question.type == AnswerType.yes_no:
        return [True, False]
    if question.type == AnswerType.number:
        return [question.min, question.max]
    return []


def _check_triage(flow: LoadedFlow, check: TriageCheck) -> None:
    for name, value in flow.triage_constants.items():
        _trial(flow, "triage_constants", name, value, check)
    for question in flow.questions:
        for mapping in question.triage:
            for sample in _map_samples(question, mapping):
                _trial(flow, f"question {question.id}", mapping.field, sample, check)


def _texts(spec: FlowSpec) -> list[str]:
    keys = [k for k in [spec.intro_key] if k]
    for item in spec.questions:
        if isinstance(item, Question):
            keys.append(item.text_key)
            keys.extend([item.preface_key] if item.preface_key else [])
            keys.extend(c.text_key for c in item.choices or ())
            keys.extend(k for k in (item.yes_text_key, item.no_text_key) if k)
    for exit_ in spec.exits:
        if exit_.say:
            keys.append(exit_.say.text_key)
            keys.extend(b.text_key for b in exit_.say.buttons)
    return keys


def _check_locale_keys(specs: dict[str, FlowSpec], locales_dir: Path) -> None:
    languages = locale_keys(locales_dir)
    if not languages:
        raise FlowError(f"no locales/bot.<lang>.yml in {locales_dir}")
    for spec in specs.values():
        needed = _texts(spec)
        if any(isinstance(q, Include) and q.use == "consent" for q in spec.questions):
            needed.append(f"bot.service_name.{spec.id}")
        for language, keys in languages.items():
            missing = sorted(set(needed) - keys)
            if missing:
                raise FlowError(f"{spec.id}.yml: not in locales/bot.{language}.yml: {', '.join(missing)}")


# ---- the repository's flows, loaded once (on first use, never at import) --------------------------------


@cache
def repository_flows(flows_dir: Path = FLOWS_DIR, locales_dir: Path = LOCALES_DIR) -> dict[str, LoadedFlow]:
    return load_flows(flows_dir, locales_dir)


def load_flow(flow_id: str, flows_dir: Path = FLOWS_DIR) -> LoadedFlow:
    return repository_flows(flows_dir)[flow_id]


def flow_ids(flows_dir: Path = FLOWS_DIR) -> tuple[str, ...]:
    """Every flow that is not a section (sections are only included), in file name order."""
    return tuple(repository_flows(flows_dir))


def flow_for_intent(intent: str | None, flows_dir: Path = FLOWS_DIR) -> str | None:
    for flow_id, flow in repository_flows(flows_dir).items():
        if intent and flow.intent == intent:
            return flow_id
    return None


def flow_for_form(form: str | None, flows_dir: Path = FLOWS_DIR) -> str | None:
    if form and form.endswith("_form") and form[: -len("_form")] in flow_ids(flows_dir):
        return form[: -len("_form")]
    return None


def all_question_ids(flows_dir: Path = FLOWS_DIR) -> list[str]:
    seen: dict[str, None] = {}
    for flow in repository_flows(flows_dir).values():
        for question in flow.questions:
            seen.setdefault(question.id, None)
    return list(seen)


def question_by_id(question_id: str, flows_dir: Path = FLOWS_DIR) -> Question:
    """A question by its id, from whichever flow asks it (an id means the same in every flow: the loader
    checks it), for tools and tests that look at one question on its own."""
    for flow in repository_flows(flows_dir).values():
        if flow.has_question(question_id):
            return flow.question(question_id)
    raise KeyError(question_id)
