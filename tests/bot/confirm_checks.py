"""The form validator (bot/actions/forms.py) with a guess: "did you mean …?" first, stored only after a yes;
a no asks again; another answer is read afresh; an answer not asked for never changes an earlier one.

Needs the Rasa SDK, so these checks run in the bot's environment: tests/bot/test_bot_env_checks.py runs each
of them there (`.venvs/bot/bin/python -c "import tests.bot.confirm_checks as t; t.run_all()"` by hand)."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.forms import VALIDATORS, ActionAskAnswerConfirmed

DOMAIN: dict[str, Any] = {"forms": {"hate_crime_form": {"required_slots": []}}}
ANSWERED = {
    "language": "en",
    "safe_to_talk": True,
    "postcode": "ST4 1AA",
    "consent_store": True,
    "consent_share": True,
    "incident_description": "they shouted at me in the street",
    "incident_when": {"date": "2026-11-20", "words": "friday"},
}


def tracker(
    slots: dict[str, Any],
    text: str,
    requested: str,
    intent: str = "inform",
    typed: dict[str, Any] | None = None,
) -> Tracker:
    """The tracker after the person typed `text` while `requested` was asked (`typed`: what it filled)."""
    events: list[dict[str, Any]] = [{"event": "user", "text": text}]
    filled = typed if typed is not None else ({} if requested == "answer_confirmed" else {requested: text})
    events.extend({"event": "slot", "name": k, "value": v} for k, v in filled.items())
    return Tracker(
        "c1",
        {**slots, **filled, "requested_slot": requested},
        {"text": text, "intent": {"name": intent}},
        events,
        False,
        None,
        {"name": "hate_crime_form"},
        None,
    )


def validate(t: Tracker) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(VALIDATORS["hate_crime"]().run(dispatcher, t, DOMAIN))
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}, dispatcher.messages


def guessed() -> dict[str, Any]:
    slots, _ = validate(tracker(ANSWERED, "homofobic", "hate_strand"))
    return {**ANSWERED, **slots}


def test_a_guess_is_asked_not_stored() -> None:
    slots = guessed()
    assert slots["hate_strand"] is None
    assert slots["requested_slot"] == "answer_confirmed"
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAskAnswerConfirmed().run(dispatcher, tracker(slots, "", "answer_confirmed"), DOMAIN))
    assert dispatcher.messages[0]["response"] == "utter_confirm_answer"
    assert dispatcher.messages[0]["answer_key"] == "bot.button.strand_sexual_orientation"


def test_yes_stores_the_guess() -> None:
    slots, _ = validate(tracker(guessed(), "yes", "answer_confirmed", "affirm"))
    assert slots["hate_strand"] == "sexual_orientation"
    assert slots["answer_to_confirm"] is None


def test_a_tapped_yes_stores_the_guess() -> None:
    slots, _ = validate(tracker(guessed(), "/affirm", "answer_confirmed", "affirm"))
    assert slots["hate_strand"] == "sexual_orientation"


def test_no_asks_the_question_again() -> None:
    slots, messages = validate(tracker(guessed(), "no", "answer_confirmed", "deny"))
    assert slots["hate_strand"] is None
    assert slots["requested_slot"] == "hate_strand"
    assert messages[0]["response"] == "utter_confirm_ask_again"


def test_another_answer_is_read_afresh() -> None:
    slots, _ = validate(tracker(guessed(), "because I'm black", "answer_confirmed"))
    assert slots["hate_strand"] == "race"


def test_an_answer_not_asked_for_never_changes_an_earlier_one() -> None:
    before = [{"event": "slot", "name": "incident_description", "value": ANSWERED["incident_description"]}]
    t = tracker(
        ANSWERED,
        "because im gay",
        "hate_strand",
        typed={"incident_description": "something else", "hate_strand": "because im gay"},
    )
    t.events[:0] = before
    slots, _ = validate(t)
    assert slots["incident_description"] == ANSWERED["incident_description"]
    assert slots["hate_strand"] == "sexual_orientation"


def run_all() -> None:
    for name, test in sorted(globals().items()):
        if name.startswith("test_") and callable(test):
            test()
            print("ok", name)
