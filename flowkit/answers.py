"""Checking canonical answers against their questions (the agency form and the api's agency route, where
answers arrive complete and already canonical), with a code for each problem. The conversation parses
what a person types into these same canonical answers first (parse.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flowkit.flows import LoadedFlow
from flowkit.logic import SKIPPED, asked, submits
from flowkit.phone import InvalidPhoneNumber, normalise
from flowkit.postcode import is_postcode
from flowkit.spec import AnswerType, Question

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
# The shortest free text answer, wherever it is given.
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


def _check_date(question: Question, value: Any, today: date | None) -> None:
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


def _check_text(question: Question, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise AnswerError(question.id, "no_text")
    if len(value.strip()) < MIN_TEXT_LENGTH:
        raise AnswerError(question.id, "too_short", min_length=MIN_TEXT_LENGTH)
    if len(value) > (question.max_length or 0):
        raise AnswerError(question.id, "too_long", max_length=question.max_length)


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
        if not isinstance(value, str) or value not in question.choice_values:
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
        _check_date(question, value, today)
    elif kind == AnswerType.phone:
        try:
            return normalise(str(value), allow_fictional_phones)
        except InvalidPhoneNumber as exc:
            raise AnswerError(question.id, "not_a_phone") from exc
    elif kind == AnswerType.postcode:
        if not isinstance(value, str) or not is_postcode(value):
            raise AnswerError(question.id, "not_a_postcode")
    elif kind == AnswerType.free_text:
        _check_text(question, value)
    return value


def answer_problems(
    flow: LoadedFlow,
    answers: Mapping[str, Any],
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
        relevant, missing, exit_ = asked(flow, walked)
        if missing is None:
            break
        if flow.question(missing).optional and missing not in faulty:
            checked[missing] = walked[missing] = SKIPPED  # left out: skipped, as "rather not say"
            continue
        if missing not in faulty:
            problems.append(AnswerError(missing, "required"))
        walked[missing] = SKIPPED
    if not problems and not submits(exit_):
        read = sorted(exit_.when.answers_named()) if exit_.when else []
        problems.append(AnswerError(read[0] if read else exit_.id, "no_referral", exit=exit_.id))
    order = {q.id: i for i, q in enumerate(flow.questions)}
    problems.sort(key=lambda p: order.get(p.question, -1))
    applies = set(relevant)
    return {k: v for k, v in checked.items() if k in applies}, problems


def check_answers(
    flow: LoadedFlow,
    answers: Mapping[str, Any],
    allow_fictional_phones: bool = False,
    today: date | None = None,
) -> dict[str, Any]:
    """Check a complete set of canonical answers (see `answer_problems`); raises AnswersError naming every
    answer at fault. Returns the checked answers that apply, in canonical form."""
    checked, problems = answer_problems(flow, answers, allow_fictional_phones, today)
    if problems:
        raise AnswersError(problems)
    return checked
