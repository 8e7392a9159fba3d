"""The form validator (bot/actions/forms.py) when the classifier labelled an answer as an interruption: the
question's own parser wins when it understands the message with confidence ("this morning" to "when did it
happen?" is a date, not a greeting; "on the 5th" is not an emergency), and nothing is stored otherwise.

Runs in the bot's environment, through tests/bot/test_bot_env_checks.py."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.forms import VALIDATORS, today_in_london
from tests.bot.confirm_checks import ANSWERED, DOMAIN

BEFORE_WHEN = {k: v for k, v in ANSWERED.items() if k != "incident_when"}


def interrupted(slots: dict[str, Any], text: str, requested: str, intent: str, confidence: float) -> Tracker:
    """The tracker after `text`, labelled `intent`, while `requested` was asked: an interruption's label
    fills no slot (the generated slot mappings leave it out), so only the validator can take it."""
    return Tracker(
        "c1",
        {**slots, "requested_slot": requested},
        {"text": text, "intent": {"name": intent, "confidence": confidence}},
        [{"event": "user", "text": text}],
        False,
        None,
        {"name": "hate_crime_form"},
        None,
    )


def stored(t: Tracker) -> dict[str, Any]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(VALIDATORS["hate_crime"]().run(dispatcher, t, DOMAIN))
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_a_time_of_day_taken_for_hello_is_the_date() -> None:
    slots = stored(interrupted(BEFORE_WHEN, "this morning", "incident_when", "greet", 0.73))
    assert slots["incident_when"]["date"] == today_in_london().isoformat()
    assert slots["requested_slot"] == "hate_strand"


def test_a_day_taken_for_hello_is_the_date() -> None:
    slots = stored(interrupted(BEFORE_WHEN, "sat", "incident_when", "greet", 0.68))
    assert slots["incident_when"]["words"] == "sat"
    assert slots["requested_slot"] == "hate_strand"


def test_hello_stays_hello() -> None:
    slots = stored(interrupted(BEFORE_WHEN, "hello", "incident_when", "greet", 0.95))
    assert slots.get("incident_when") is None
    assert slots["requested_slot"] == "incident_when"


def test_a_date_taken_for_an_unsure_emergency_is_the_date() -> None:
    slots = stored(interrupted(BEFORE_WHEN, "on the 5th", "incident_when", "emergency", 0.48))
    assert slots["incident_when"]["words"] == "on the 5th"


def test_an_emergency_the_classifier_is_sure_of_stays_an_emergency() -> None:
    slots = stored(interrupted(BEFORE_WHEN, "on the 5th", "incident_when", "emergency", 0.9))
    assert slots.get("incident_when") is None
    assert slots["requested_slot"] == "incident_when"


def test_a_reason_taken_for_an_emergency_is_the_reason() -> None:
    slots = stored(interrupted(ANSWERED, "cos im not from here", "hate_strand", "emergency", 0.44))
    assert slots["hate_strand"] == "race"


def test_speaking_the_language_spoken_is_not_a_request_to_change_it() -> None:
    slots = stored(interrupted(ANSWERED, "the way i speak english", "hate_strand", "choose_language", 0.89))
    assert slots["hate_strand"] == "race"


def test_asking_for_another_language_stays_a_request() -> None:
    slots = stored(interrupted(ANSWERED, "can we speak in polish", "hate_strand", "choose_language", 0.9))
    assert slots.get("hate_strand") is None
    assert slots["requested_slot"] == "hate_strand"


def test_free_text_is_never_taken_from_an_interruption() -> None:
    before = {k: v for k, v in ANSWERED.items() if k not in ("incident_description", "incident_when")}
    slots = stored(interrupted(before, "hi there", "incident_description", "greet", 0.9))
    assert slots.get("incident_description") is None


def test_consent_is_never_taken_from_an_interruption() -> None:
    before = {k: v for k, v in ANSWERED.items() if not k.startswith(("consent", "incident"))}
    slots = stored(interrupted(before, "yes hello", "consent_store", "greet", 0.8))
    assert slots.get("consent_store") is None
    assert slots["requested_slot"] == "consent_store"


def test_a_story_taken_for_an_emergency_is_kept_and_the_emergency_still_counts() -> None:
    before = {k: v for k, v in ANSWERED.items() if k not in ("incident_description", "incident_when")}
    t = interrupted(
        before, "they throw stones at my windows every night", "incident_description", "emergency", 0.64
    )
    dispatcher = CollectingDispatcher()
    events = asyncio.run(VALIDATORS["hate_crime"]().run(dispatcher, t, DOMAIN))
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["incident_description"] == "they throw stones at my windows every night"
    assert slots["danger_reported"] is True
    assert [m["response"] for m in dispatcher.messages] == ["utter_safety_emergency"]
    assert slots["requested_slot"] == "incident_when"
