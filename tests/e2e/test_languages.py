"""Every language end to end through the real processes: a person writes their first message in their own
language (nobody chose it), the service recognises it, confirms it with a one-tap change, and the hate crime,
ASB and domestic abuse journeys run to a referral in that language, typed as a person would (yes and no in
their words, the description in their language, the date in words), landing in the queue TRIAGE.md gives
with the language kept on the conversation, the consent receipt and the referral. Then: switching language
by name and by the menu's number, and danger phrases in each language.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import yaml

from api.config import REPO_ROOT
from api.flow import load_flows
from api.i18n import Translator
from api.referral.service import decision_of
from flowkit.disclosure import description_question, is_disclosure
from flowkit.flows import LoadedFlow
from flowkit.spec import AnswerType
from tests.e2e.test_journeys_en import ALL, RUNS, provider_token, stack_vault, stored
from tests.flows.runs import Run
from tests.flows.stories import other_languages, phrases
from tools.stack import Stack

pytestmark = pytest.mark.e2e

FLOWS = load_flows()
TRANSLATOR = Translator(REPO_ROOT / "locales")
LANGUAGES = other_languages()
JOURNEYS = {
    "hate_crime": "hate_crime",
    "asb": "asb_case_review",
    "domestic_abuse": "domestic_abuse_high_risk",
}
REFERENCE = re.compile(r"SR-[0-9A-Z]{4}-[0-9A-Z]{4}")


class Conversation:
    def __init__(self, http: httpx.Client, language: str | None = None) -> None:
        self.http = http
        body = {"language": language} if language else {}
        self.id: str = http.post("/v1/chat/conversations", json=body).json()["id"]
        self.language = language or "en"
        self.messages: list[dict[str, Any]] = []

    def say(self, text: str) -> str:
        reply = self.http.post(f"/v1/chat/conversations/{self.id}/messages", json={"text": text})
        assert reply.status_code == 200, reply.text
        body = reply.json()
        self.language = body["language"]
        self.messages = body["messages"]
        return " ".join(m["text"] for m in self.messages)


def words(key: str, language: str, flow: str) -> str:
    name = f"bot.service_name.{flow}"
    service = TRANSLATOR.t(name, language) if TRANSLATOR.has(name, language) else ""
    return TRANSLATOR.t(key, language, service_name=service)


def typed(run: Run, flow: LoadedFlow, question: str, said: str, language: str) -> str:
    """What a person writing in `language` types for the golden run's answer."""
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
        return said_as[
            "number"
        ]  # the golden runs write numbers in words as "two"; so does every phrases file
    return said  # numbers, postcodes, phone numbers, a choice's number or button


@pytest.mark.parametrize("journey", sorted(JOURNEYS))
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_journey_in_the_person_s_own_language(language: str, journey: str, stack: Stack) -> None:
    run = RUNS[JOURNEYS[journey]]
    flow = FLOWS[run.flow]
    assert run.decision is not None
    with httpx.Client(base_url=stack.api_url, timeout=60) as http:
        chat = Conversation(http)
        opening = phrases(language)["openings"][journey]
        reply = chat.say(opening)
        # Disclosure first: an opening that tells what happened answers the description question itself.
        told = description_question(flow) if is_disclosure(flow.intent, opening) else None
        assert chat.language == language, (
            f"{language}: the first message was not recognised ({chat.messages})"
        )
        confirmation = chat.messages[0]
        assert confirmation["text"] == TRANSLATOR.t("bot.language.detected", language)
        assert [b["payload"] for b in confirmation["buttons"]] == ["/choose_language"]
        assert TRANSLATOR.t(f"bot.{flow.id}.intro", language) in reply
        for turn in run.turns:
            if turn.refused or turn.question == told:
                continue  # refused English attempts (only the accepted answer is typed), or told already
            expected = words(flow.question(turn.question).text_key, language, flow.id)
            assert expected in reply, (
                f"{language}/{journey}: expected {turn.question}, got {reply!r}\n{stack.log_tail()}"
            )
            reply = chat.say(typed(run, flow, turn.question, turn.said, language))
        [reference] = REFERENCE.findall(reply)
        assert TRANSLATOR.t(f"bot.queue_name.{run.decision['queue']}", language) in reply
        token = provider_token(stack, run.decision["queue"])
        queued = http.get(
            f"/v1/queues/{run.decision['queue']}/cases",
            params=ALL,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert reference in [item["reference"] for item in queued.json()["items"]]
    [referral], [receipt], _ = stored(stack, chat.id)
    assert referral.language == language
    assert receipt.language == language
    decision = decision_of(stack_vault(stack), referral)
    for field in ("queue", "tier", "priority", "flags", "enhanced_grounds"):
        assert decision[field] == run.decision[field], (language, journey, field)


@pytest.mark.parametrize("language", LANGUAGES)
def test_naming_a_language_switches_to_it_and_it_is_kept(language: str, stack: Stack) -> None:
    with httpx.Client(base_url=stack.api_url, timeout=60) as http:
        chat = Conversation(http, "en")
        chat.say("/report_hate_crime")
        name = yaml.safe_load((REPO_ROOT / "tests" / "fixtures" / "language_names.yml").read_text())[language]
        reply = chat.say(name)
        assert chat.language == language
        assert TRANSLATOR.t("bot.language.changed", language) in reply
        # The form goes on, asking its question again in the new language.
        safe = TRANSLATOR.t("bot.safety.ask_safe_to_talk", language)
        assert safe in reply
        again = chat.say(phrases(language)["answers"]["affirm"])
        assert TRANSLATOR.t("bot.area.ask_postcode", language) in again


def test_the_language_menu_answers_to_a_number(stack: Stack) -> None:
    with httpx.Client(base_url=stack.api_url, timeout=60) as http:
        chat = Conversation(http, "en")
        chat.say("hello")
        reply = chat.say("language")
        assert TRANSLATOR.t("bot.language.options", "en") in reply
        # The menu, then the question it interrupted (with its own yes/no buttons) comes back.
        menu = [
            b["payload"] for m in chat.messages for b in m["buttons"] if b["payload"].startswith("/choose_")
        ]
        assert len(menu) == len(TRANSLATOR.locales)
        third = re.search(r'"language":"([a-z]+)"', menu[2])
        assert third is not None
        reply = chat.say("3")
        assert chat.language == third.group(1)
        assert TRANSLATOR.t("bot.language.changed", chat.language) in reply
        # "3" is an answer again once the menu has been answered.
        assert chat.say("3") and chat.language == third.group(1)


@pytest.mark.parametrize("language", sorted(TRANSLATOR.locales))
def test_a_danger_phrase_in_any_language_gets_the_999_advice_first(language: str, stack: Stack) -> None:
    danger = yaml.safe_load(
        (REPO_ROOT / "locales" / "danger" / f"{language}.yml").read_text(encoding="utf-8")
    )
    with httpx.Client(base_url=stack.api_url, timeout=60) as http:
        chat = Conversation(http, language)
        chat.say("/report_hate_crime")
        chat.say(danger["phrases"][0])
        assert chat.messages[0]["text"] == TRANSLATOR.t("bot.safety.emergency", language)
        # ... and the question it interrupted comes back.
        assert TRANSLATOR.t("bot.safety.ask_safe_to_talk", language) in " ".join(
            m["text"] for m in chat.messages
        )
