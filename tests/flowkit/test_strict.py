"""Which yes/no questions are read more strictly is a field of the flows (`strict: consent | safety`), not a
list of question ids in code."""

from __future__ import annotations

from datetime import date

import pytest

from flowkit.flows import load_flow, question_by_id
from flowkit.parse import parse_answer
from flowkit.spec import AnswerType, FlowError, Question, Strictness, parse_question

TODAY = date(2026, 11, 24)


def test_the_flows_mark_consent_and_safety() -> None:
    marked = {
        q.id: q.strict
        for flow in ("hate_crime", "domestic_abuse", "asb")
        for q in load_flow(flow).questions
        if q.strict is not None
    }
    assert marked == {
        "safe_to_talk": Strictness.safety,
        "consent_store": Strictness.consent,
        "consent_share": Strictness.consent,
        "sms_safe": Strictness.safety,
        "calls_safe": Strictness.safety,
        "voicemail_safe": Strictness.safety,
    }


def test_only_a_yes_no_question_is_strict() -> None:
    raw = {"id": "age", "type": "number", "text_key": "bot.about_you.ask_age", "min": 1, "max": 120}
    with pytest.raises(FlowError, match="'strict' is for yes_no questions"):
        parse_question({**raw, "strict": "consent"}, "test")
    assert parse_question(raw, "test").strict is None


@pytest.mark.parametrize("said", ["yes i think so", "yeah probably"])
def test_the_field_decides_not_the_id(said: str) -> None:
    consent = question_by_id("consent_store")
    unmarked = Question(id=consent.id, type=AnswerType.yes_no, text_key=consent.text_key)
    marked = Question(
        id="anything", type=AnswerType.yes_no, text_key=consent.text_key, strict=Strictness.consent
    )
    assert parse_answer(unmarked, said, None, "en", TODAY).value is True
    confirmed = parse_answer(marked, said, None, "en", TODAY)
    assert confirmed.confirm and not confirmed.ok


def test_a_no_to_is_it_safe_is_stored_but_a_hedged_yes_is_confirmed() -> None:
    sms = question_by_id("sms_safe")
    assert parse_answer(sms, "no i don't think so", None, "en", TODAY).value is False
    hedged = parse_answer(sms, "yes i think so", None, "en", TODAY)
    assert hedged.confirm and not hedged.ok


@pytest.mark.parametrize(
    ("said", "language"),
    [
        ("only after 6", "en"),
        ("after 6pm", "en"),
        ("yes but only when he's at work", "en"),
        ("tylko po 18", "pl"),
        ("doar după ora 18", "ro"),
        ("тільки після 18", "uk"),
        ("فقط بعد الساعة 6", "ar"),
        ("sirf 6 baje ke baad", "ur"),
        ("ਸ਼ਾਮ 6 ਵਜੇ ਤੋਂ ਬਾਅਦ", "pa"),
        ("শুধু সন্ধ্যায়", "bn"),
    ],
)
def test_safe_only_at_some_times_is_a_yes_to_confirm(said: str, language: str) -> None:
    """`bot.answers.any.condition`: never stored as it stands, never asked again as if it said nothing."""
    for question in ("calls_safe", "sms_safe", "voicemail_safe"):
        parsed = parse_answer(question_by_id(question), said, None, language, TODAY)
        assert parsed.confirm and not parsed.ok and parsed.value is True, (question, parsed)


@pytest.mark.parametrize(("said", "language"), [("no, only when he's out", "en"), ("nie, tylko po 18", "pl")])
def test_a_no_with_a_condition_is_still_a_no(said: str, language: str) -> None:
    assert parse_answer(question_by_id("calls_safe"), said, None, language, TODAY).value is False
