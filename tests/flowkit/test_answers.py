"""Answers typed in words, in every language (tests/fixtures/answers/<lang>.yml, read by
`make answers-report` too): at least 30 of every answer type in every language; each is stored as the value
it means, or put to the person to confirm; a wrong value is never stored, consent least of all, and each
language is understood as expected at least 95% of the time."""

from __future__ import annotations

from collections import Counter

import pytest

from flowkit.parse import parse_answer
from flowkit.words import languages
from tools.answers_report import TARGET, Case, cases, comparable, question, run

CASES = cases()
KINDS = {"choice", "yes_no", "number", "date", "phone", "postcode", "free_text"}
MIN_PER_KIND = 30
LANGUAGES = sorted({case.language for case in CASES})


def label(case: Case) -> str:
    return f"{case.language}-{case.question}-{case.said}"


@pytest.fixture(autouse=True)
def fictional_phones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOW_FICTIONAL_PHONE_NUMBERS", "1")  # the fixtures use Ofcom's drama numbers


def test_every_language_has_its_answers() -> None:
    assert LANGUAGES == sorted(languages())
    for language in LANGUAGES:
        kinds = Counter(question(c.question).type.value for c in CASES if c.language == language)
        assert set(kinds) == KINDS, language
        few = {kind: n for kind, n in kinds.items() if n < MIN_PER_KIND}
        assert not few, f"{language}: fewer than {MIN_PER_KIND} answers of {few}"


def test_no_wrong_consent_is_stored() -> None:
    wrong = [
        (c.language, c.question, c.said)
        for c in CASES
        if c.question.startswith("consent") and run(c).outcome == "wrong"
    ]
    assert not wrong


@pytest.mark.parametrize("case", CASES, ids=label)
def test_no_wrong_value_is_stored(case: Case) -> None:
    result = run(case)
    assert result.outcome != "wrong", f"stored {result.got!r}, means {comparable(case.expected)!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_is_understood(language: str) -> None:
    results = [run(case) for case in CASES if case.language == language]
    right = sum(r.outcome == "right" for r in results)
    misses = [(r.case.question, r.case.said, r.outcome, r.got) for r in results if r.outcome != "right"]
    assert right / len(results) >= TARGET, misses


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_confirmed_guess_is_never_stored(language: str) -> None:
    for case in CASES:
        if case.language == language and case.confirm:
            parsed = parse_answer(question(case.question), case.said, None, language, case.today)
            assert not parsed.ok or comparable(parsed.value) == comparable(case.expected)
