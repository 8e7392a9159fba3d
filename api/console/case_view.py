"""What the case page shows, built from a referral in the caseworker's language.

Order matters: the safe-contact plan comes first, as plain do's and don'ts, because it is the one thing a
caseworker must not miss before phoning. Then the triage decision in words (its reasons from
`locales/triage.<lang>.yml`, its enhanced grounds), the answers as questions and answers (question labels
from the flows, in the caseworker's language; free text and the person's own words for dates kept as they
wrote them, in their language; what an agency or the police feed stores under the triage input's or the
feed's own field names labelled by `fields.py`), and the consent receipt's purposes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from api.console import fields
from api.flow.journeys import journeys
from api.i18n import Translator
from api.triage.deadlines import LONDON
from flowkit.flows import LoadedFlow
from flowkit.spec import AnswerType, Question


@dataclass(frozen=True)
class PlanLine:
    do: bool  # a "do" (True) or a "don't" (False)
    text: str
    own_words: str | None = None  # the person's words, shown as they wrote them (with their language)


@dataclass(frozen=True)
class QA:
    question: str
    answer: str
    own_words: bool = False  # free text or the person's words: shown in their language, as written


@dataclass
class CaseView:
    plan: list[PlanLine] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    grounds: list[str] = field(default_factory=list)
    answers: list[QA] = field(default_factory=list)
    purposes: list[str] = field(default_factory=list)
    phone: str | None = None
    email: str | None = None
    name: str | None = None


def _t(translator: Translator, key: str, locale: str, **params: Any) -> str:
    return translator.t(key, locale, **params)


def london_time(moment: datetime | None, translator: Translator, locale: str) -> str:
    if moment is None:
        return ""
    return translator.format_datetime_words(moment.astimezone(LONDON), locale)


def plan(
    person: dict[str, Any],
    purposes: list[str],
    callback: tuple[datetime | None, datetime | None],
    translator: Translator,
    locale: str,
) -> list[PlanLine]:
    """The safe-contact plan. What is not known is read on the safe side (not asked = do not)."""

    def t(key: str, **params: Any) -> str:
        return _t(translator, f"console.plan.{key}", locale, **params)

    lines: list[PlanLine] = []
    has_phone = bool(person.get("phone"))
    if not has_phone:
        lines.append(PlanLine(False, t("no_phone")))
    elif "contact_phone" in purposes:
        lines.append(PlanLine(True, t("calls_ok")))
    else:
        lines.append(PlanLine(False, t("no_calls")))
    sms = person.get("sms_safe")
    if has_phone:
        if sms is True:
            lines.append(PlanLine(True, t("texts_ok")))
        elif sms is False:
            lines.append(PlanLine(False, t("no_texts")))
        else:
            lines.append(PlanLine(False, t("texts_not_asked")))
        if person.get("voicemail_safe") is True:
            lines.append(PlanLine(True, t("voicemail_ok")))
        else:
            lines.append(PlanLine(False, t("no_voicemail")))
    safe_times = person.get("safe_times")
    if isinstance(safe_times, str) and safe_times.strip():
        lines.append(PlanLine(True, t("safe_times"), safe_times.strip()))
    start, end = callback
    if start is not None:
        lines.append(
            PlanLine(
                True,
                t(
                    "callback",
                    start=london_time(start, translator, locale),
                    end=london_time(end, translator, locale) if end else "",
                ),
            )
        )
    lines.append(PlanLine(True, t("identity_first")))
    return lines


def _journey_for(answers: dict[str, Any]) -> LoadedFlow | None:
    """The journey whose questions cover most of the answers (a referral keeps answers by question id)."""
    best, best_hits = None, 0
    keys = set(answers)
    for flow in journeys().values():
        hits = len(keys & {q.id for q in flow.questions})
        if hits > best_hits:
            best, best_hits = flow, hits
    return best


def short_label(label: str) -> str:
    for index, char in enumerate(label):
        if char in "?.!؟۔।" and index > 0:
            return label[: index + 1]
    return label


def _answer_text(question: Question, value: Any, translator: Translator, locale: str) -> tuple[str, bool]:
    if value == "prefer_not_to_say":
        return _t(translator, "console.answer.prefer_not_to_say", locale), False
    if question.type == AnswerType.yes_no and isinstance(value, bool):
        return _t(translator, "console.answer.yes" if value else "console.answer.no", locale), False
    if question.type == AnswerType.choice and question.choices:
        by_value = {c.value: c.text_key for c in question.choices}
        values = value if isinstance(value, list) else [value]
        words = [_t(translator, by_value[v], locale) if v in by_value else str(v) for v in values]
        return ", ".join(words), False
    if question.type == AnswerType.free_text:
        return str(value), True
    if question.type == AnswerType.date:
        day = fields.format_date_answer(value, locale)
        if day is not None:
            return day, False
    return str(value), False


def answers(answers_: dict[str, Any], translator: Translator, locale: str) -> list[QA]:
    flow = _journey_for(answers_)
    shown: list[QA] = []
    asked = {q.id: q for q in flow.questions} if flow else {}
    for question in asked.values():
        if question.id not in answers_:
            continue
        label = short_label(_t(translator, question.text_key, locale))
        text, own = _answer_text(question, answers_[question.id], translator, locale)
        shown.append(QA(label, text, own))
        words = answers_.get(f"{question.id}_words")
        if isinstance(words, str) and words.strip():
            shown.append(QA(_t(translator, "console.answer.own_words", locale), words, True))
    rest = [key for key in answers_ if key not in asked and not key.endswith("_words")]
    for key in fields.in_order(rest):  # what no flow names: a known field in words, else by its id
        field = fields.show(key, answers_[key], translator, locale)
        shown.append(QA(field.label, field.text, field.own_words))
    return shown


def build(
    *,
    person: dict[str, Any],
    answers_: dict[str, Any],
    decision: dict[str, Any],
    purposes: list[str],
    callback: tuple[datetime | None, datetime | None],
    translator: Translator,
    locale: str,
) -> CaseView:
    view = CaseView()
    view.plan = plan(person, purposes, callback, translator, locale)
    view.reasons = [_t(translator, r["key"], locale) for r in decision.get("reasons", []) if "key" in r]
    view.grounds = [
        _t(translator, f"console.ground.{g}", locale) for g in decision.get("enhanced_grounds", [])
    ]
    view.answers = answers(answers_, translator, locale)
    view.purposes = [_t(translator, f"console.purpose.{p}", locale) for p in purposes]
    view.phone = person.get("phone") if isinstance(person.get("phone"), str) else None
    view.email = person.get("email") if isinstance(person.get("email"), str) else None
    view.name = person.get("name") if isinstance(person.get("name"), str) else None
    return view
