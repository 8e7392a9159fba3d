"""Answers typed in words through the real chat stack (api, Rasa, action server), in every language: a sample
of the answer set (tests/fixtures/answers/<lang>.yml) typed at the questions they answer, and the one-tap
confirmation round trip. `make answers-stack-report` types the whole set the same way
(tools/answers_stack.py).

One hate crime conversation per language carries the whole sample: it asks every answer type (yes/no,
postcode, consent, free text, date, choice, number, phone). At each question a few answers of the set are
typed; after each, what the bot stored is read from the conversation's Rasa tracker (the stack's SQL tracker
store) and the conversation is put back at the question (the harness removes the events the answer added).
Then one of those answers is typed for good, so the referral made at the end carries answers typed in words,
and a provider of the hate crime queue reads them back through the api.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import httpx
import pytest

from api.config import REPO_ROOT
from api.i18n import Translator
from flowkit.choices import yes_no_payload
from flowkit.flows import question_by_id
from flowkit.parse import parse_answer
from tests.e2e.test_journeys_en import provider_token
from tools.answers_report import Case, cases, comparable
from tools.answers_stack import Prober, Route, StackChat, Tracker, expected_on, real_today, routes
from tools.stack import Stack

pytestmark = pytest.mark.e2e

TRANSLATOR = Translator(REPO_ROOT / "locales")
LANGUAGES = sorted(TRANSLATOR.locales)
ROUTE: Route = next(r for r in routes() if r.name == "hate_crime")
ON_ROUTE = [step.question for step in ROUTE.steps]
# Answers typed at each question (the e2e time is kept small: the whole set is `make answers-stack-report`).
PER_QUESTION = {"hate_strand": 2}
REFERENCE = re.compile(r"SR-[0-9A-Z]{4}-[0-9A-Z]{4}")
# Typing these for good would take the journey somewhere else (no consent, not safe): typed, then put back.
BRANCHING = {"safe_to_talk", "consent_store", "consent_share"}


def sample(language: str) -> dict[str, list[Case]]:
    """A few answers per question of the route that the set says must be stored (the first ones in the file,
    which the set's authors wrote first); every answer type is covered."""
    chosen: dict[str, list[Case]] = {}
    for question in ON_ROUTE:
        stored = [
            c
            for c in cases()
            if c.language == language and c.question == question and not c.confirm and c.expected != "again"
        ]
        chosen[question] = stored[: PER_QUESTION.get(question, 1)]
    kinds = {question_by_id(q).type for q, found in chosen.items() if found}
    assert kinds == {question_by_id(q).type for q in ON_ROUTE}, f"{language}: only {kinds}"
    assert chosen["consent_store"] and chosen["consent_share"], f"{language}: no consent answers"
    return chosen


def confirmed_case(language: str) -> Case:
    """An answer the set says must be put to the person to confirm ("did you mean …?"), on the route, and that
    the engine does confirm on the stack's date (the set also counts storing the right value as right)."""
    return next(
        c
        for c in cases()
        if c.language == language
        and c.confirm
        and c.question in ON_ROUTE
        and parse_answer(question_by_id(c.question), c.said, None, language, real_today()).confirm
    )


def a_button(chat: StackChat, key: str, language: str) -> str:
    title = TRANSLATOR.t(key, language)
    [payload] = [b["payload"] for b in chat.buttons if b["title"] == title]
    return payload


def check_confirmation_round_trip(prober: Prober, chat: StackChat, case: Case, today: date) -> None:
    language = case.language
    expected = expected_on(case, today)
    heard, mark = prober.answer(chat, case.question, str(case.said))
    assert heard.outcome == "confirmed" and heard.guess == expected, (case.said, heard)
    asked = TRANSLATOR.t("bot.confirm.ask", language, answer="\0").split("\0")[0]
    assert asked in " ".join(m["text"] for m in chat.messages), chat.messages
    # Yes stores the guess, and the next question is asked.
    chat.say(a_button(chat, "bot.button.answer_yes", language))
    assert prober.tracker.slots(chat.id).get(case.question) is not None
    assert comparable(prober.tracker.slots(chat.id)[case.question]) == expected
    assert prober.asking(chat) != case.question
    prober.put_back(chat, mark)
    # No stores nothing and asks the question again.
    heard, _ = prober.answer(chat, case.question, str(case.said))
    assert heard.outcome == "confirmed"
    reply = chat.say(a_button(chat, "bot.button.answer_no", language))
    assert TRANSLATOR.t("bot.confirm.ask_again", language) in reply
    assert prober.tracker.slots(chat.id).get(case.question) is None
    assert prober.asking(chat) == case.question
    prober.put_back(chat, mark)


def check_an_old_yes_does_not_answer(prober: Prober, chat: StackChat, earlier: str) -> None:
    """The Yes of an earlier question (still on the screen) tapped again: the question now is asked again."""
    asked = prober.asking(chat)
    heard, mark = prober.answer(chat, asked, yes_no_payload("affirm", earlier))
    assert heard.outcome == "re-asked", heard
    assert prober.asking(chat) == asked
    prober.put_back(chat, mark)


@pytest.fixture(scope="module")
def hate_crime_provider(stack: Stack) -> str:
    return provider_token(stack, "hate_crime")


@pytest.mark.parametrize("language", LANGUAGES)
def test_answers_typed_in_words_are_stored_through_the_chat_stack(
    language: str, stack: Stack, hate_crime_provider: str
) -> None:
    today = real_today()
    chosen = sample(language)
    confirm = confirmed_case(language)
    tracker = Tracker(stack.data_dir / "rasa-tracker.db")
    kept: dict[str, Any] = {}  # question → the value typed for good, for the referral
    with httpx.Client(base_url=stack.api_url, timeout=60) as http:
        prober = Prober(http, tracker)
        walk = prober.walk(ROUTE, language, instead=(instead := {}))
        wrong = []
        for chat, step in walk:
            if step.question == confirm.question:
                check_confirmation_round_trip(prober, chat, confirm, today)
            if step.question == "sms_safe":
                check_an_old_yes_does_not_answer(prober, chat, "hate_repeat")
            for case in chosen[step.question]:
                result = prober.probe(chat, case, today)
                assert chat.language == language, f"{case.said!r} changed the language to {chat.language}"
                if result.outcome != "right":
                    wrong.append((case.question, case.said, result.outcome, result.got))
                elif step.question not in BRANCHING and step.question not in kept:
                    kept[step.question] = expected_on(case, today)
                    instead[step.question] = str(case.said)
        assert not wrong, f"{language}: not stored as the set says: {wrong}\n{stack.log_tail()}"
        [reference] = REFERENCE.findall(" ".join(m["text"] for m in chat.messages))
        case_view = http.get(
            f"/v1/referrals/{reference}", headers={"Authorization": f"Bearer {hate_crime_provider}"}
        )
        assert case_view.status_code == 200, case_view.text
        answers = case_view.json()["answers"]
    typed_for_good = {q for q in kept if q in answers}
    assert {"hate_strand", "age", "incident_when", "incident_description"} <= typed_for_good, (kept, answers)
    for question in typed_for_good:
        assert comparable(answers[question]) == kept[question], (question, answers[question])
