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


# What can be wrong with an answer: a code (the agency form words each one from locales/form.<lang>.yml)
# and the English the api's 422 says.
PROBLEMS = {
    "unknown_question": "is not a question of this flow",
    "required": "is required",
    "not_optional": "is not optional",
    "not_a_choice": "is not one of the choices",
    "not_yes_no": "must be true or false",
    "not_a_number": "must be a whole number",
    "out_of_range": "must be from {min} to {max}",
    "not_a_date": "must be a date, YYYY-MM-DD",
    "date_in_future": "is in the future",
    "date_too_old": "is more than {max_days_ago} days ago",
    "not_a_phone": "is not a phone number",
    "not_a_postcode": "is not a UK postcode (or its first half)",
    "no_text": "must be some text",
    "too_short": "must be at least {min_length} characters",
    "too_long": "is longer than {max_length} characters",
    "no_referral": "with these answers the flow ends at '{exit}', which makes no referral",
}
MIN_TEXT_LENGTH = 2


class AnswerError(ValueError):
    """One answer that does not fit its question: `question` names it, `code` says why (see PROBLEMS)."""

    def __init__(self, question: str, code: str, **params: Any) -> None:
        self.question = question
        self.code = code
        self.params = params
        self.problem = PROBLEMS[code].format(**params)
        super().__init__(f"{question}: {self.problem}")


class AnswersError(ValueError):
    """Every answer at fault, in the flow's order (the first is also `errors[0]`)."""

    def __init__(self, errors: list[AnswerError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


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


def canonical_postcode(text: str) -> str:
    """A postcode as typed ("st4 1aa", "ST41AA", " st4 ") in the canonical form ("ST4 1AA", "ST4")."""
    compact = "".join(text.split()).upper()
    if len(compact) > 4 and POSTCODE.match(f"{compact[:-3]} {compact[-3:]}"):
        return f"{compact[:-3]} {compact[-3:]}"
    return compact


def check_answer(
    question: Question, value: Any, allow_fictional_phones: bool = False, today: date | None = None
) -> Any:
    """A canonical answer, checked against the question's type and limits; raises AnswerError.

    With `today`, a date must also be on or before it and within the question's `max_days_ago`."""
    if value == SKIPPED:
        if not question.optional:
            raise AnswerError(question.id, "not_optional")
        return value
    kind = question.type
    if kind == AnswerType.choice:
        if not isinstance(value, str) or value not in {c.value for c in question.choices or []}:
            raise AnswerError(question.id, "not_a_choice")
    elif kind == AnswerType.yes_no:
        if not isinstance(value, bool):
            raise AnswerError(question.id, "not_yes_no")
    elif kind == AnswerType.number:
        if not isinstance(value, int) or isinstance(value, bool):
            raise AnswerError(question.id, "not_a_number")
        if not (question.min or 0) <= value <= (question.max or 0):
            raise AnswerError(question.id, "out_of_range", min=question.min, max=question.max)
    elif kind == AnswerType.date:
        try:
            day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise AnswerError(question.id, "not_a_date")
        if today is not None and day > today:
            raise AnswerError(question.id, "date_in_future")
        if today is not None and question.max_days_ago and (today - day).days > question.max_days_ago:
            raise AnswerError(question.id, "date_too_old", max_days_ago=question.max_days_ago)
    elif kind == AnswerType.phone:
        try:
            return phone.normalise(str(value), allow_fictional_phones)
        except phone.InvalidPhoneNumber as exc:
            raise AnswerError(question.id, "not_a_phone") from exc
    elif kind == AnswerType.postcode:
        if not isinstance(value, str) or not POSTCODE.match(value):
            raise AnswerError(question.id, "not_a_postcode")
    elif kind == AnswerType.free_text:
        if not isinstance(value, str) or not value.strip():
            raise AnswerError(question.id, "no_text")
        if len(value.strip()) < MIN_TEXT_LENGTH:
            raise AnswerError(question.id, "too_short", min_length=MIN_TEXT_LENGTH)
        if len(value) > (question.max_length or 0):
            raise AnswerError(question.id, "too_long", max_length=question.max_length)
    return value


def answer_problems(
    flow: LoadedFlow,
    answers: dict[str, Any],
    allow_fictional_phones: bool = False,
    today: date | None = None,
) -> tuple[dict[str, Any], list[AnswerError]]:
    """Check a complete set of canonical answers and find everything wrong at once (a form shows every
    error): an answer to no question of the flow; an answer that does not fit its question; a question that
    applies and is not answered; answers that end the flow where no referral is made. An optional question
    left out counts as skipped ("prefer_not_to_say"); an answer to a question that does not apply (its
    `when` does not hold) is dropped.

    Returns the checked answers (canonical, only those that apply) and the problems, in the flow's order."""
    known = {q.id: q for q in flow.questions}
    problems = [AnswerError(name, "unknown_question") for name in sorted(set(answers) - set(known))]
    checked: dict[str, Any] = {}
    for question in flow.questions:
        if answers.get(question.id) is None:
            continue
        try:
            checked[question.id] = check_answer(question, answers[question.id], allow_fictional_phones, today)
        except AnswerError as error:
            problems.append(error)
    faulty = {p.question for p in problems}
    # Walk the flow: a question that applies and has no answer is required (a faulty one is not named
    # twice); walking on past it as if skipped finds the questions after it that apply too.
    walked = dict(checked)
    while True:
        relevant, missing, exit_id = asked(flow, walked)
        if missing is None:
            break
        if flow.question(missing).optional and missing not in faulty:
            checked[missing] = walked[missing] = SKIPPED  # left out: skipped, as "rather not say"
            continue
        if missing not in faulty:
            problems.append(AnswerError(missing, "required"))
        walked[missing] = SKIPPED
    if not problems and not submits(flow, exit_id):
        exit_ = next(e for e in flow.exits if e.id == exit_id)
        read = sorted(exit_.when.answers_named()) if exit_.when else []
        problems.append(AnswerError(read[0] if read else exit_id, "no_referral", exit=exit_id))
    order = {q.id: i for i, q in enumerate(flow.questions)}
    problems.sort(key=lambda p: order.get(p.question, -1))
    applies = set(relevant)
    return {k: v for k, v in checked.items() if k in applies}, problems


def check_answers(
    flow: LoadedFlow,
    answers: dict[str, Any],
    allow_fictional_phones: bool = False,
    today: date | None = None,
) -> dict[str, Any]:
    """Check a complete set of canonical answers (see `answer_problems`); raises AnswersError naming every
    answer at fault. Returns the checked answers that apply, in canonical form."""
    checked, problems = answer_problems(flow, answers, allow_fictional_phones, today)
    if problems:
        raise AnswersError(problems)
    return checked


def triage_input(flow: LoadedFlow, answers: dict[str, Any], today: date, **fields: Any) -> TriageInput:
    return TriageInput.model_validate({**triage_data(flow, answers, today), **fields})
