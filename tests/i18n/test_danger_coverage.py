"""The danger phrases (locales/danger/<lang>.yml), which the api checks before any NLU, against the NLU
examples: every `emergency` example of a language is caught by a phrase of that language (its negations
considered), so no emergency depends on the classifier; and the phrases stay narrow: they fire on few
non-emergency examples (each would get the 999 advice instead of its answer), never on a calm report of a
past incident (tests/fixtures/not_danger.yml) and never on reassurance (tests/fixtures/reassurance.yml: "nu
mai e aici", he is no longer here, is not "e aici"). The reassurance cues, which let the NLU guard take an
`emergency` label off a message, never do so on an `emergency` example."""

from __future__ import annotations

import pytest
import yaml

from api.config import REPO_ROOT
from tools.nlu_report import danger_misses, danger_phrases, examples, false_alarms

LANGUAGES = sorted(p.name for p in (REPO_ROOT / "bot" / "data" / "nlu").iterdir() if p.is_dir())
FIXTURES = REPO_ROOT / "tests" / "fixtures"
NOT_DANGER = yaml.safe_load((FIXTURES / "not_danger.yml").read_text(encoding="utf-8"))
REASSURANCE = yaml.safe_load((FIXTURES / "reassurance.yml").read_text(encoding="utf-8"))
MIN_REASSURANCE = 12
# Non-emergency examples a phrase may fire on, per language: a few answers such as "no, I'm not safe now"
# rightly do. More means a phrase has grown too broad.
MAX_FALSE_ALARMS = 2


def test_every_language_is_covered() -> None:
    assert set(LANGUAGES) == set(danger_phrases().phrases) == set(NOT_DANGER) == set(REASSURANCE)
    assert set(LANGUAGES) == set(danger_phrases().reassurance)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_emergency_example_is_caught_by_a_danger_phrase(language: str) -> None:
    missed = danger_misses(language)
    assert missed == [], f"add a danger phrase to locales/danger/{language}.yml for each of {missed}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_danger_phrases_rarely_fire_on_other_examples(language: str) -> None:
    alarms = false_alarms(language)
    others = sum(intent != "emergency" for intent in examples(language).values())
    print(f"{language}: danger phrases fire on {len(alarms)} of {others} non-emergency examples {alarms}")
    assert len(alarms) <= MAX_FALSE_ALARMS, alarms


@pytest.mark.parametrize("language", LANGUAGES)
def test_past_incidents_are_not_danger(language: str) -> None:
    sentences = NOT_DANGER[language]
    assert len(sentences) >= 5
    fired = {text: danger_phrases().match(text) for text in sentences}
    assert {text: lang for text, lang in fired.items() if lang} == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_reassurance_is_not_danger(language: str) -> None:
    sentences = REASSURANCE[language]
    assert len(sentences) >= MIN_REASSURANCE
    fired = {text: danger_phrases().matched_phrases(text) for text in sentences}
    assert {text: phrases for text, phrases in fired.items() if phrases} == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_emergency_example_reads_as_reassurance(language: str) -> None:
    calm = [
        t for t, intent in examples(language).items() if intent == "emergency" and danger_phrases().calm(t)
    ]
    assert calm == [], f"a reassurance cue of locales/danger/ would take `emergency` off {calm}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_reassurance_fixture_is_not_training_data(language: str) -> None:
    assert set(REASSURANCE[language]) & set(examples(language)) == set()
