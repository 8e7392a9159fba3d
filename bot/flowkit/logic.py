"""What the answers so far mean: which question comes next, which exit the flow takes, and the referral.

The same rules as api/flow/answers.py (the golden tests in tests/flows/ compare the two).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Dict, List, Optional, Tuple

from bot.flowkit.flows import Flow, FlowExit

SKIPPED = "prefer_not_to_say"
# TriageInput's list fields (tests/flows checks this against the api's model).
LIST_FIELDS = frozenset({"hate_strands", "vulnerabilities", "da_red_flags"})


def given(value: Any) -> bool:
    return value is not None and value != SKIPPED


def canonical(question: Dict[str, Any], value: Any) -> Any:
    """A slot's value as a canonical answer (a date slot also keeps the person's own words)."""
    if question["type"] == "date" and isinstance(value, dict):
        return value.get("date")
    return value


def canonical_answers(flow: Flow, slots: Dict[str, Any]) -> Dict[str, Any]:
    return {q["id"]: canonical(q, slots.get(q["id"])) for q in flow.questions}


def is_local(postcode: str, districts: Optional[List[str]]) -> bool:
    outward = postcode.split(" ")[0]
    area = re.match(r"^[A-Z]+", outward)
    return any(
        outward == d or (d.isalpha() and area is not None and area.group(0) == d) for d in districts or []
    )


def named(condition: Dict[str, Any]) -> List[str]:
    if "answer" in condition:
        return [condition["answer"]]
    children = list(condition.get("all") or []) + list(condition.get("any") or [])
    if "not" in condition:
        children.append(condition["not"])
    return [name for child in children for name in named(child)]


def _same(value: Any, expected: Any) -> bool:
    return type(value) is type(expected) and value == expected


def holds(condition: Dict[str, Any], answers: Dict[str, Any], flow: Flow) -> bool:
    if "all" in condition:
        return all(holds(c, answers, flow) for c in condition["all"])
    if "any" in condition:
        return any(holds(c, answers, flow) for c in condition["any"])
    if "not" in condition:
        return not holds(condition["not"], answers, flow)
    name = condition["answer"]
    value = answers.get(name)
    if "answered" in condition:
        return given(value) == condition["answered"]
    if not given(value):
        return False
    if "equals" in condition:
        return _same(value, condition["equals"])
    if "in" in condition:
        return any(_same(value, v) for v in condition["in"])
    if "is_local" in condition:
        return is_local(str(value), flow.question(name).get("local_districts")) == condition["is_local"]
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    tests = {"gt": value.__gt__, "gte": value.__ge__, "lt": value.__lt__, "lte": value.__le__}
    return all(test(condition[op]) for op, test in tests.items() if op in condition)


def asked(flow: Flow, answers: Dict[str, Any]) -> Tuple[List[str], Optional[str], FlowExit]:
    """The questions that apply so far (in order), the next one to ask (or None), and the exit the flow
    takes now. An exit is checked as soon as every answer it reads has had its turn."""
    position = {q["id"]: i for i, q in enumerate(flow.questions)}
    conditional = [e for e in flow.exits if e.when is not None]
    ready_at = {e.id: max((position[n] for n in named(e.when or {})), default=-1) + 1 for e in conditional}
    relevant: List[str] = []
    for index, question in enumerate(flow.questions):
        for exit_ in conditional:
            if ready_at[exit_.id] <= index and holds(exit_.when or {}, answers, flow):
                return relevant, None, exit_
        if question.get("when") is not None and not holds(question["when"], answers, flow):
            continue
        relevant.append(question["id"])
        if answers.get(question["id"]) is None:
            return relevant, question["id"], flow.exits[-1]
    for exit_ in flow.exits:
        if exit_.when is None or holds(exit_.when, answers, flow):
            return relevant, None, exit_
    raise ValueError(f"{flow.id}: no exit applies")


def _mapped(question: Dict[str, Any], mapping: Dict[str, Any], value: Any, today: date) -> Tuple[bool, Any]:
    if "values" in mapping:
        return value in mapping["values"], mapping["values"].get(value)
    if "if_yes" in mapping:
        return value is True, mapping["if_yes"]
    transform = mapping.get("transform")
    if transform == "days_since":
        return True, max(0, (today - date.fromisoformat(value)).days)
    if transform == "is_local":
        return is_local(value, question.get("local_districts")), True
    return True, value


def triage_mappings(question: Dict[str, Any]) -> List[Dict[str, Any]]:
    triage = question.get("triage") or []
    return [triage] if isinstance(triage, dict) else list(triage)


def triage_data(flow: Flow, answers: Dict[str, Any], today: date) -> Dict[str, Any]:
    """The TriageInput fields the answers give (consent, lawful basis, danger and time are set apart)."""
    data: Dict[str, Any] = {
        k: list(v) if isinstance(v, list) else v for k, v in flow.triage_constants.items()
    }
    for question in flow.questions:
        value = answers.get(question["id"])
        if not given(value) or (
            question.get("when") is not None and not holds(question["when"], answers, flow)
        ):
            continue
        for mapping in triage_mappings(question):
            ok, mapped = _mapped(question, mapping, value, today)
            if not ok:
                continue
            if mapping["field"] in LIST_FIELDS:
                items = data.setdefault(mapping["field"], [])
                if mapped not in items:
                    items.append(mapped)
            else:
                data[mapping["field"]] = mapped
    return data


def referral_parts(
    flow: Flow, slots: Dict[str, Any], today: date
) -> Tuple[Dict[str, Any], Dict[str, Any], List[str], Dict[str, Any]]:
    """(answers, person, contact purposes, triage fields) for the referral, from the slots of a flow.

    Only questions that applied are used. A date is kept as YYYY-MM-DD with the person's own words beside it
    (`<id>_words`); a skipped question is kept as "prefer_not_to_say" so the caseworker knows it was asked.
    """
    answers = canonical_answers(flow, slots)
    relevant, _, _ = asked(flow, answers)
    kept: Dict[str, Any] = {}
    person: Dict[str, Any] = {}
    for question in flow.questions:
        qid = question["id"]
        if qid not in relevant or answers.get(qid) is None:
            continue
        value = answers[qid]
        if question.get("person") and given(value):
            person[question["person"]] = value
        if not question.get("store", True):
            continue
        kept[qid] = value
        raw = slots.get(qid)
        if question["type"] == "date" and isinstance(raw, dict) and raw.get("words"):
            kept[f"{qid}_words"] = raw["words"]
    purposes = ["store_and_process", "share_with_provider"]
    # A phone number is for calls unless the person said calls are not safe (the safe-contact plan).
    if person.get("phone") and answers.get("calls_safe") is not False:
        purposes.append("contact_phone")
    if person.get("sms_safe") is True:
        purposes.append("contact_sms")
    if person.get("voicemail_safe") is True:
        purposes.append("contact_voicemail")
    return kept, person, purposes, triage_data(flow, answers, today)
