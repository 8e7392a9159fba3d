"""Whole free-text journeys in every language, as scripts: what a person types each turn and what the reply
must hold. Plain data and checks with no locust import, so the locust users, the runner's warm-up and the
smoke test (tests/load) share them.

Built as the end-to-end language test (tests/e2e/test_languages.py) builds its conversations, from the same
sources, so the load cannot drift from what the bot is tested to understand:

- the golden runs (tests/flows/scripts.yml, played through the flow by tests/flows/runs.py) give the questions
  in order and the English answers;
- tests/flows/phrases/<lang>.yml gives what a person types in their language: the opening (nobody picks a
  language: the service recognises it), yes and no, the description, the date in words, a number in words;
  postcodes, phone numbers and a choice's number are typed as they are;
- locales/ gives the question each reply must ask, in that language.

Three journeys (hate crime, ASB, domestic abuse) in all 8 languages: 24 scripts. Every answer is synthetic.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, for api.*, flowkit.*, tests.*
# The golden runs use Ofcom's drama numbers, which the answer parser accepts only when allowed.
os.environ.setdefault("ALLOW_FICTIONAL_PHONE_NUMBERS", "true")

from api.config import REPO_ROOT
from api.flow import load_flows
from api.i18n import Translator
from flowkit.disclosure import description_question, is_disclosure
from flowkit.flows import LoadedFlow
from flowkit.spec import AnswerType
from tests.flows.runs import Run, play, scripts
from tests.flows.stories import phrases as read_phrases

# journey (the opening's key in the phrases files) -> golden run (tests/flows/scripts.yml)
RUNS = {"hate_crime": "hate_crime", "asb": "asb_case_review", "domestic_abuse": "domestic_abuse_high_risk"}
LANGUAGES = ("en", "ar", "bn", "pa", "pl", "ro", "uk", "ur")
REFERENCE = re.compile(r"SR-[0-9A-Z]{4}-[0-9A-Z]{4}")
START_NAME = "chat start"
END_NAME = "chat end"
TURN_PREFIX = "chat turn"


@dataclass(frozen=True)
class Step:
    text: str  # what the person types
    expect: tuple[str, ...]  # texts the reply must hold (the next question, in the person's language)
    reference: bool = False  # the reply must give a referral's reference (the journey's last turn)

    def problem(self, body: Any, language: str) -> str | None:
        """Why this reply body is not the expected one, or None when it is."""
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return "the reply is not the expected JSON"
        if body.get("language") != language:
            return f"the conversation is in {body.get('language')!r}, expected {language!r}"
        joined = " ".join(str(m.get("text", "")) for m in body["messages"] if isinstance(m, dict))
        for expected in self.expect:
            if expected not in joined:
                return f"missing {expected[:60]!r}; got {joined[:120]!r}"
        if self.reference and not REFERENCE.search(joined):
            return f"no reference; got {joined[:120]!r}"
        return None


@dataclass(frozen=True)
class Journey:
    language: str
    journey: str
    steps: tuple[Step, ...]

    @property
    def turn_name(self) -> str:
        """The locust request name of every turn of this journey: one entry per language."""
        return f"{TURN_PREFIX} {self.language}"


@cache
def translator() -> Translator:
    return Translator(REPO_ROOT / "locales")


def words(key: str, language: str, flow_id: str) -> str:
    name = f"bot.service_name.{flow_id}"
    service = translator().t(name, language) if translator().has(name, language) else ""
    return translator().t(key, language, service_name=service)


def typed(flow: LoadedFlow, question: str, said: str, language: str) -> str:
    """What a person writing in `language` types for the golden run's answer (as tests/e2e/test_languages)."""
    said_as = phrases(language)["answers"]
    kind = flow.question(question).type
    if said in ("/affirm", "yes") or (kind == AnswerType.yes_no and said.casefold() == "yes"):
        return said_as["affirm"]
    if said in ("/deny", "no"):
        return said_as["deny"]
    if kind == AnswerType.free_text and not said.startswith("/"):
        return said_as["description"]
    if kind == AnswerType.date and not said.startswith("/"):
        return said_as["when"]
    if kind == AnswerType.number and not said.isdigit():
        return said_as["number"]
    return said  # numbers, postcodes, phone numbers, a choice's number or button


@cache
def phrases(language: str) -> dict[str, dict[str, str]]:
    return read_phrases(language)


@cache
def flows() -> dict[str, LoadedFlow]:
    return dict(load_flows())


@cache
def golden_run(journey: str) -> Run:
    return play(RUNS[journey], scripts()[RUNS[journey]])


def build(language: str, journey: str) -> Journey:
    run = golden_run(journey)
    flow = flows()[run.flow]
    opening = phrases(language)["openings"][journey]
    told = description_question(flow) if is_disclosure(flow.intent, opening) else None
    asked = [t for t in run.turns if not t.refused and t.question != told]
    steps: list[Step] = []
    text = opening
    expect: list[str] = [translator().t(f"bot.{flow.id}.intro", language)]
    for turn in asked:
        expect.append(words(flow.question(turn.question).text_key, language, flow.id))
        steps.append(Step(text, tuple(expect)))
        text, expect = typed(flow, turn.question, turn.said, language), []
    steps.append(Step(text, (), reference=True))
    return Journey(language, journey, tuple(steps))


@cache
def journeys() -> tuple[Journey, ...]:
    """Every language's three journeys, languages interleaved (so a few conversations cover them all)."""
    return tuple(build(language, journey) for journey in RUNS for language in LANGUAGES)
