"""The readable half of a subject access: plain text in the person's language, from `locales/api.*.yml`;
each answer is labelled with its question's own words (the flows' text keys, through flowkit), each
choice with its button's words. Dates are written out by Babel in Europe/London time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from api.i18n import MissingTranslation, Translator
from api.kit.time import as_london
from api.rights.schemas import RectifiableField
from flowkit.flows import question_by_id
from flowkit.spec import Question

PERSON_FIELDS = [f.value for f in RectifiableField]


def _say(translator: Translator, key: str, language: str, **params: Any) -> str:
    return translator.t(f"api.rights.document.{key}", language, **params)


def _date(translator: Translator, value: str | None, language: str) -> str:
    if not value:
        return "-"
    return translator.format_datetime_words(as_london(datetime.fromisoformat(value)), language)


def _question(question_id: str) -> Question | None:
    try:
        return question_by_id(question_id)
    except KeyError:
        return None


def _label(translator: Translator, question: Question | None, question_id: str, language: str) -> str:
    if question is None:
        return question_id
    try:
        return translator.t(question.text_key, language)
    except (MissingTranslation, KeyError):  # a question whose text needs a value we do not have here
        return question_id


def _value(translator: Translator, question: Question | None, value: Any, language: str) -> str:
    if isinstance(value, bool):
        return _say(translator, "answer_yes" if value else "answer_no", language)
    if isinstance(value, list):
        return ", ".join(_value(translator, question, v, language) for v in value) or "-"
    if value is None:
        return "-"
    for choice in (question.choices or ()) if question is not None else ():
        if choice.value == value:
            try:
                return translator.t(choice.text_key, language)
            except (MissingTranslation, KeyError):
                break
    return str(value)


def render(translator: Translator, data: dict[str, Any], language: str) -> str:
    """The export `data` (service.export_data) as a document the person can read."""

    def say(key: str, **params: Any) -> str:
        return _say(translator, key, language, **params)

    lines = [say("title"), "", say("intro", date=_date(translator, data["generated_at"], language)), ""]
    for case in data["referrals"]:
        lines.append(say("case", reference=case["reference"]))
        lines.append(say("received", date=_date(translator, case["received_at"], language)))
        if case["queue"]:
            lines.append(say("service", service=translator.t(f"bot.queue_name.{case['queue']}", language)))
        if case["crime_reference"]:
            lines.append(say("crime_reference", crime_reference=case["crime_reference"]))
        person = case["person"] if isinstance(case["person"], dict) else {}
        if person:
            lines += ["", say("contact")]
            for name in PERSON_FIELDS:
                if name in person:
                    label = say(f"field.{name}")
                    lines.append(f"- {label}: {_value(translator, None, person[name], language)}")
        answers = case["answers"] if isinstance(case["answers"], dict) else {}
        if answers:
            lines += ["", say("answers")]
            for question_id, value in answers.items():
                question = _question(question_id)
                label = _label(translator, question, question_id, language)
                lines.append(f"- {label}\n  {_value(translator, question, value, language)}")
        lines += ["", say("consent")]
        for receipt in case["consent_receipts"]:
            key = "consent_withdrawn" if receipt["kind"] == "withdrawal" else "consent_given"
            lines.append("- " + say(key, date=_date(translator, receipt["given_at"], language)))
        if case["withdrawn_at"]:
            lines.append(say("withdrawn", date=_date(translator, case["withdrawn_at"], language)))
        if case.get("case_activity"):
            lines += ["", say("activity")]
            for done in case["case_activity"]:
                line = f"- {_date(translator, done['at'], language)}: {say('activity_' + done['kind'])}"
                lines.append(line + (f"\n  {done['text']}" if done["text"] else ""))
        lines.append("")
    sms = data["sms"]
    for contact in sms["contacts"]:
        lines.append(say("sms_number", phone=contact["phone"] or "-"))
    messages = sms["inbound"] + sms["outbound"]
    if messages:
        lines.append(say("sms_messages", count=len(messages)))
        for message in messages:
            if message["body"]:
                lines.append(f"- {message['body']}")
        lines.append("")
    typed = [m["text"] for messages in data["transcripts"].values() for m in messages if m["by"] == "person"]
    if typed:
        lines.append(say("transcript", count=len(typed)))
        lines.extend(f"- {text}" for text in typed)
        lines.append("")
    if data["conversations"]:
        lines.append(say("conversations", count=len(data["conversations"])))
        lines.append("")
    lines.append(say("footer"))
    return "\n".join(lines) + "\n"
