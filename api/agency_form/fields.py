"""The form's questions, generated from a journey's agency variant (flows/), and what the form's text
inputs mean as canonical answers. Nothing here knows a question by name: a new question in a flow is a
new field in the form."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flowkit.answers import AnswerError
from flowkit.flows import LoadedFlow
from flowkit.postcode import canonical_postcode
from flowkit.spec import AnswerType, Question

# The largest text a form field takes before the flow's own limit is checked (a browser's maxlength is
# only a hint; anything longer than this is refused without being read further).
MAX_FIELD = 10_000
_DAY_FIRST = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\s*$")


@dataclass(frozen=True)
class Option:
    value: str
    text_key: str


@dataclass(frozen=True)
class FormQuestion:
    """One question of the form: its field name, label, input and limits, from the flow."""

    id: str
    type: str
    text_key: str
    optional: bool
    conditional: bool
    options: tuple[Option, ...]
    max_length: int | None
    min: int | None
    max: int | None

    @property
    def name(self) -> str:
        return f"q_{self.id}"

    @property
    def anchor(self) -> str:
        """Where the error summary links to: the input itself, or the first of its radios."""
        return f"{self.name}_0" if self.options else self.name


def form_questions(flow: LoadedFlow) -> list[FormQuestion]:
    """Every question of the journey's agency variant, in the flow's order."""
    return [_form_question(q) for q in flow.for_agency().questions]


def _form_question(question: Question) -> FormQuestion:
    options: tuple[Option, ...] = ()
    if question.type == AnswerType.choice:
        options = tuple(Option(c.value, c.text_key) for c in question.choices or [])
    elif question.type == AnswerType.yes_no:
        options = (
            Option("yes", question.yes_text_key or "form.answer.yes"),
            Option("no", question.no_text_key or "form.answer.no"),
        )
    return FormQuestion(
        id=question.id,
        type=str(question.type),
        text_key=question.text_key,
        optional=question.optional,
        conditional=question.when is not None,
        options=options,
        max_length=question.max_length,
        min=question.min,
        max=question.max,
    )


def parse(question: FormQuestion, raw: str) -> Any:
    """A form field's text as a canonical answer (None: left empty). Raises AnswerError when the text
    cannot be one (the flow's own checks come after, in flowkit/answers.py)."""
    text = raw.strip()
    if not text:
        return None
    if question.type == AnswerType.yes_no:
        if text not in ("yes", "no"):
            raise AnswerError(question.id, "not_yes_no")
        return text == "yes"
    if question.type == AnswerType.number:
        if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 6:
            raise AnswerError(question.id, "not_a_number")
        return int(text)
    if question.type == AnswerType.date:
        day_first = _DAY_FIRST.match(text)
        try:
            if day_first:
                return date(int(day_first[3]), int(day_first[2]), int(day_first[1])).isoformat()
            return date.fromisoformat(text).isoformat() if len(text) == 10 else _bad_date(question)
        except ValueError as exc:
            raise AnswerError(question.id, "not_a_date") from exc
    if question.type == AnswerType.postcode:
        return canonical_postcode(text)
    if question.type == AnswerType.free_text:
        return raw.strip()
    return text


def _bad_date(question: FormQuestion) -> str:
    raise AnswerError(question.id, "not_a_date")


def parse_all(
    questions: list[FormQuestion], form: dict[str, str]
) -> tuple[dict[str, Any], list[AnswerError]]:
    """Every field of the form as canonical answers; the fields that cannot be read, as errors. An empty
    optional field is skipped ("prefer_not_to_say"), as the flow's checks treat an omitted one."""
    answers: dict[str, Any] = {}
    errors: list[AnswerError] = []
    for question in questions:
        try:
            value = parse(question, form.get(question.name, ""))
        except AnswerError as error:
            errors.append(error)
            continue
        if value is not None:
            answers[question.id] = value
    return answers, errors
