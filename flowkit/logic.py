"""What the answers so far mean: which question comes next, which exit the flow takes, the triage input
and the referral. The one implementation: the bot's forms, the agency form, the api's agency route and the
test generators all walk flows with it.

Canonical answers (the same whoever collected them — the bot, the agency form, a test):
choice → its value; yes_no → true/false; number → an integer; date → "YYYY-MM-DD"; phone → E.164;
postcode → upper case with one space ("ST4 1AA", or just the outward code "ST4"); free_text → the text;
a skipped optional question → "prefer_not_to_say". (The bot's date slot also keeps the words typed:
`canonical` takes the date out of it.)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flowkit.flows import LoadedFlow
from flowkit.postcode import is_local
from flowkit.spec import (
    LIST_FIELDS,
    AnswerType,
    Condition,
    Exit,
    ExitOutcome,
    PersonField,
    Question,
    Transform,
    TriageMap,
)

SKIPPED = "prefer_not_to_say"
# Consent purposes every referral carries; contact purposes come from the safe-contact answers.
BASE_PURPOSES = ("store_and_process", "share_with_provider")

__all__ = [
    "BASE_PURPOSES",
    "LIST_FIELDS",
    "SKIPPED",
    "asked",
    "canonical",
    "canonical_answers",
    "contact_details",
    "contact_purposes",
    "given",
    "holds",
    "is_local",
    "referral_parts",
    "submits",
    "triage_data",
]


def given(value: Any) -> bool:
    return value is not None and value != SKIPPED


def canonical(question: Question, value: Any) -> Any:
    """A slot's value as a canonical answer (a date slot also keeps the person's own words)."""
    if question.type == AnswerType.date and isinstance(value, dict):
        return value.get("date")
    return value


def canonical_answers(flow: LoadedFlow, slots: Mapping[str, Any]) -> dict[str, Any]:
    return {q.id: canonical(q, slots.get(q.id)) for q in flow.questions}


def _same(value: Any, expected: Any) -> bool:
    return type(value) is type(expected) and value == expected


def holds(condition: Condition, answers: Mapping[str, Any], flow: LoadedFlow) -> bool:
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
        return _same(value, condition.equals)
    if condition.in_ is not None:
        return any(_same(value, v) for v in condition.in_)
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


def asked(flow: LoadedFlow, answers: Mapping[str, Any]) -> tuple[list[str], str | None, Exit]:
    """Walk the flow over the answers so far: the questions that apply (in order), the next one to ask (or
    None), and the exit the flow takes now (its last while a question is still to ask).

    An exit is checked as soon as every answer it reads has had its turn; the first that holds ends the flow.
    """
    position = {q.id: i for i, q in enumerate(flow.questions)}
    conditional = [(e, e.when) for e in flow.exits if e.when is not None]
    ready_at = {
        e.id: max((position[n] for n in when.answers_named()), default=-1) + 1 for e, when in conditional
    }
    relevant: list[str] = []
    for index, question in enumerate(flow.questions):
        for exit_, when in conditional:
            if ready_at[exit_.id] <= index and holds(when, answers, flow):
                return relevant, None, exit_
        if question.when is not None and not holds(question.when, answers, flow):
            continue
        relevant.append(question.id)
        if answers.get(question.id) is None:
            return relevant, question.id, flow.exits[-1]
    for exit_ in flow.exits:
        if exit_.when is None or holds(exit_.when, answers, flow):
            return relevant, None, exit_
    raise ValueError(f"{flow.id}: no exit applies")  # the loader guarantees a last exit without a condition


def submits(exit_: Exit) -> bool:
    return exit_.outcome == ExitOutcome.submit


def _mapped(question: Question, mapping: TriageMap, value: Any, today: date) -> tuple[bool, Any]:
    if mapping.values is not None:
        return value in mapping.values, mapping.values.get(value)
    if mapping.if_yes is not None:
        return value is True, mapping.if_yes
    if mapping.transform == Transform.days_since:
        return True, max(0, (today - date.fromisoformat(value)).days)
    if mapping.transform == Transform.is_local:
        return is_local(value, question.local_districts), True
    return True, value


def triage_data(flow: LoadedFlow, answers: Mapping[str, Any], today: date) -> dict[str, Any]:
    """The TriageInput fields the answers give (consent, lawful basis, danger and time are set apart)."""
    data: dict[str, Any] = {
        k: list(v) if isinstance(v, list) else v for k, v in flow.triage_constants.items()
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


def contact_details(flow: LoadedFlow, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers that are contact details (`person:` on the question), by ReferralCreate.person name."""
    return {
        q.person.value: answers[q.id]
        for q in flow.questions
        if q.person is not None and given(answers.get(q.id))
    }


def contact_purposes(person: Mapping[str, Any], calls_safe: Any = None) -> list[str]:
    """The consent purposes a referral carries, from its contact details (the safe-contact plan): a phone
    number is for calls unless the person said calls are not safe; texts and voicemail only on a yes."""
    purposes = list(BASE_PURPOSES)
    if person.get(PersonField.phone.value) and calls_safe is not False:
        purposes.append("contact_phone")
    if person.get(PersonField.sms_safe.value) is True:
        purposes.append("contact_sms")
    if person.get(PersonField.voicemail_safe.value) is True:
        purposes.append("contact_voicemail")
    return purposes


def referral_parts(
    flow: LoadedFlow, slots: Mapping[str, Any], today: date
) -> tuple[dict[str, Any], dict[str, Any], list[str], dict[str, Any]]:
    """(answers, person, contact purposes, triage fields) for the referral, from the slots of a flow.

    Only questions that applied are used. A date is kept as YYYY-MM-DD with the person's own words beside it
    (`<id>_words`); a skipped question is kept as "prefer_not_to_say" so the caseworker knows it was asked.
    """
    answers = canonical_answers(flow, slots)
    relevant, _, _ = asked(flow, answers)
    kept: dict[str, Any] = {}
    person: dict[str, Any] = {}
    for question in flow.questions:
        qid = question.id
        if qid not in relevant or answers.get(qid) is None:
            continue
        value = answers[qid]
        if question.person and given(value):
            person[question.person.value] = value
        if not question.store:
            continue
        kept[qid] = value
        raw = slots.get(qid)
        if question.type == AnswerType.date and isinstance(raw, dict) and raw.get("words"):
            kept[f"{qid}_words"] = raw["words"]
    purposes = contact_purposes(person, answers.get("calls_safe"))
    return kept, person, purposes, triage_data(flow, answers, today)
