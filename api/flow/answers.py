"""Answers to a flow, in their canonical form, and what they mean for triage.

Canonical answers (the same whoever collected them — the bot, the agency form, a test):
choice → its value; yes_no → true/false; number → an integer; date → "YYYY-MM-DD"; phone → E.164;
postcode → upper case with one space ("ST4 1AA", or just the outward code "ST4"); free_text → the text;
a skipped optional question → "prefer_not_to_say".

The bot has its own small copy of the mapping (bot/flowkit/, Python 3.10, no api imports); the golden tests
in tests/flows/ check that both give the same TriageInput for every golden run.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from api.flow.loader import LoadedFlow
from api.flow.spec import AnswerType, Condition, ExitOutcome, Question, Transform, TriageMap
from api.kit import phone
from api.triage import TriageInput

SKIPPED = "prefer_not_to_say"
POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?)(?: ([0-9][A-Z]{2}))?$")
LIST_FIELDS = frozenset(
    name for name, info in TriageInput.model_fields.items() if str(info.annotation).startswith("list[")
)


class AnswerError(ValueError):
    def __init__(self, question: str, problem: str) -> None:
        super().__init__(f"{question}: {problem}")
        self.question = question
        self.problem = problem


def given(value: Any) -> bool:
    return value is not None and value != SKIPPED


def outward_code(postcode: str) -> str:
    return postcode.split(" ")[0]


def is_local(postcode: str, districts: list[str] | None) -> bool:
    """Whether a postcode's district is one of `districts` (an entry may be a whole area, "ST")."""
    outward = outward_code(postcode)
    area = re.match(r"^[A-Z]+", outward)
    return any(
        outward == d or (d.isalpha() and area is not None and area.group(0) == d) for d in districts or []
    )


def holds(condition: Condition, answers: dict[str, Any], flow: LoadedFlow) -> bool:
    if condition.all is not None:
        return all(holds(c, answers, flow) for c in condition.all)
    if condition.any is not None:
        return any(holds(c, answers, flow) for c in condition.any)
    if condition.not_ is not None:
        return not holds(condition.not_, answers, flow)
    name = str(condition.answer)
    value = answers.get(name)
    if condition.answered is not None:
        return given(value) == condition.answered
    if not given(value):
        return False
    if condition.equals is not None:
        return type(value) is type(condition.equals) and value == condition.equals
    if condition.in_ is not None:
        return any(type(value) is type(v) and value == v for v in condition.in_)
    if condition.is_local is not None:
        return is_local(str(value), flow.question(name).local_districts) == condition.is_local
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    bounds = (
        (condition.gt, value.__gt__),
        (condition.gte, value.__ge__),
        (condition.lt, value.__lt__),
        (condition.lte, value.__le__),
    )
    return all(test(bound) for bound, test in bounds if bound is not None)


def asked(flow: LoadedFlow, answers: dict[str, Any]) -> tuple[list[str], str | None, str]:
    """Walk the flow over the answers so far: the questions that apply (in order), the next one to ask (or
    None), and the exit the flow would take now (meaningful when there is no next question).

    An exit is checked as soon as every answer it reads has had its turn; the first that holds ends the flow.
    """
    position = {q.id: i for i, q in enumerate(flow.questions)}
    conditional = [e for e in flow.exits if e.when is not None]
    ready_at = {
        e.id: max((position[name] for name in e.when.answers_named()), default=-1) + 1  # type: ignore[union-attr]
        for e in conditional
    }
    relevant: list[str] = []
    for index, question in enumerate(flow.questions):
        for exit_ in conditional:
            if ready_at[exit_.id] <= index and holds(exit_.when, answers, flow):  # type: ignore[arg-type]
                return relevant, None, exit_.id
        if question.when is not None and not holds(question.when, answers, flow):
            continue
        relevant.append(question.id)
        if answers.get(question.id) is None:
            return relevant, question.id, ""
    for exit_ in flow.exits:
        if exit_.when is None or holds(exit_.when, answers, flow):
            return relevant, None, exit_.id
    raise AssertionError("the loader guarantees a last exit without a condition")


def submits(flow: LoadedFlow, exit_id: str) -> bool:
    return any(e.id == exit_id and e.outcome == ExitOutcome.submit for e in flow.exits)


def _mapped(question: Question, mapping: TriageMap, value: Any, today: date) -> tuple[bool, Any]:
    if mapping.values is not None:
        return (value in mapping.values, mapping.values.get(value))
    if mapping.if_yes is not None:
        return (value is True, mapping.if_yes)
    if mapping.transform == Transform.days_since:
        return (True, max(0, (today - date.fromisoformat(value)).days))
    if mapping.transform == Transform.is_local:
        return (is_local(value, question.local_districts), True)
    return (True, value)


def triage_data(flow: LoadedFlow, answers: dict[str, Any], today: date) -> dict[str, Any]:
    """The TriageInput fields the answers give (consent, lawful basis and time are the api's to set)."""
    data: dict[str, Any] = {
        k: list(v) if isinstance(v, list) else v for k, v in flow.spec.triage_constants.items()
    }
    for question in flow.questions:
        value = answers.get(question.id)
        if not given(value) or (question.when is not None and not holds(question.when, answers, flow)):
            continue
        for mapping in question.triage:
            ok, mapped = _mapped(question, mapping, value, today)
            if not ok:
                continue
            if mapping.field in LIST_FIELDS:
                items = data.setdefault(mapping.field, [])
                if mapped not in items:
                    items.append(mapped)
            else:
                data[mapping.field] = mapped
    return data


def check_answer(question: Question, value: Any, allow_fictional_phones: bool = False) -> Any:
    """A canonical answer, checked against the question's type and limits; raises AnswerError."""
    if value == SKIPPED:
        if not question.optional:
            raise AnswerError(question.id, "is not optional")
        return value
    kind = question.type
    if kind == AnswerType.choice:
        if value not in {c.value for c in question.choices or []}:
            raise AnswerError(question.id, "is not one of the choices")
    elif kind == AnswerType.yes_no:
        if not isinstance(value, bool):
            raise AnswerError(question.id, "must be true or false")
    elif kind == AnswerType.number:
        if not isinstance(value, int) or isinstance(value, bool):
            raise AnswerError(question.id, "must be a whole number")
        if not (question.min or 0) <= value <= (question.max or 0):
            raise AnswerError(question.id, f"must be from {question.min} to {question.max}")
    elif kind == AnswerType.date:
        try:
            date.fromisoformat(str(value))
        except ValueError as exc:
            raise AnswerError(question.id, "must be a date, YYYY-MM-DD") from exc
    elif kind == AnswerType.phone:
        try:
            return phone.normalise(str(value), allow_fictional_phones)
        except phone.InvalidPhoneNumber as exc:
            raise AnswerError(question.id, "is not a phone number") from exc
    elif kind == AnswerType.postcode:
        if not isinstance(value, str) or not POSTCODE.match(value):
            raise AnswerError(question.id, "is not a UK postcode (or its first half)")
    elif kind == AnswerType.free_text:
        if not isinstance(value, str) or not value.strip():
            raise AnswerError(question.id, "must be some text")
        if len(value) > (question.max_length or 0):
            raise AnswerError(question.id, f"is longer than {question.max_length} characters")
    return value


def check_answers(
    flow: LoadedFlow, answers: dict[str, Any], allow_fictional_phones: bool = False
) -> dict[str, Any]:
    """Check a complete set of canonical answers: every key is a question of the flow, every value fits,
    every question that applies is answered, and the flow ends in a referral. Returns the answers."""
    known = {q.id: q for q in flow.questions}
    unknown = sorted(set(answers) - set(known))
    if unknown:
        raise AnswerError(unknown[0], "is not a question of this flow")
    checked = {
        name: check_answer(known[name], value, allow_fictional_phones) for name, value in answers.items()
    }
    _, missing, exit_id = asked(flow, checked)
    if missing is not None:
        raise AnswerError(missing, "is required")
    if not submits(flow, exit_id):
        raise AnswerError(exit_id, "these answers do not lead to a referral")
    return checked


def triage_input(flow: LoadedFlow, answers: dict[str, Any], today: date, **fields: Any) -> TriageInput:
    return TriageInput.model_validate({**triage_data(flow, answers, today), **fields})
