"""Disclosure first (flowkit/disclosure.py; bot/actions/forms.py and journey.py): a story told in place of
"are you safe to talk?" is kept, not met with "please answer yes or no"; a no forgets it; the journey it
names starts with its description answered from it.

Needs the Rasa SDK, so these checks run in the bot's environment: tests/bot/test_bot_env_checks.py runs
each of them there (by hand: `.venvs/bot/bin/python -c "import tests.bot.disclosure_checks as t;
t.run_all()"`)."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.forms import VALIDATORS
from bot.actions.journey import ActionStartJourney
from bot.actions.memory import forget_answers

STORY = "someone keeps shouting abuse at me because I'm gay"
KEPT = {"intent": "report_hate_crime", "text": STORY}


def tracker(
    slots: dict[str, Any],
    text: str,
    requested: str | None,
    intent: str,
    form: str | None,
) -> Tracker:
    """The tracker after the person typed `text` while `requested` was asked in `form`."""
    events: list[dict[str, Any]] = [{"event": "user", "text": text}]
    filled = {requested: text} if requested else {}
    events.extend({"event": "slot", "name": k, "value": v} for k, v in filled.items())
    return Tracker(
        "c1",
        {"language": "en", **slots, **filled, "requested_slot": requested},
        {"text": text, "intent": {"name": intent}},
        events,
        False,
        None,
        {"name": form} if form else {},
        None,
    )


def validate(flow_id: str, t: Tracker) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    domain: dict[str, Any] = {"forms": {f"{flow_id}_form": {"required_slots": []}}}
    events = asyncio.run(VALIDATORS[flow_id]().run(dispatcher, t, domain))
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}, dispatcher.messages


def start(t: Tracker) -> dict[str, Any]:
    events = asyncio.run(ActionStartJourney().run(CollectingDispatcher(), t, {}))
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_a_story_for_the_safety_question_is_kept_and_the_question_asked_again() -> None:
    slots, messages = validate("start", tracker({}, STORY, "safe_to_talk", "report_hate_crime", "start_form"))
    assert slots["safe_to_talk"] is None
    assert slots["disclosure"] == KEPT
    assert slots["disclosure_journey"] == "hate_crime"
    # The start form asks only this question (its slots come from bot/domain/: bot/actions/form_slots.py), so
    # the validator names no next slot and Rasa's form asks the empty one again: "are you safe to talk?".
    assert "requested_slot" not in slots
    # "Thank you for telling us what happened", and no "please answer yes or no".
    assert [m.get("response") for m in messages] == ["utter_disclosure_thanks"]


def test_a_short_request_is_not_a_story() -> None:
    slots, _ = validate("start", tracker({}, "hate crime", "safe_to_talk", "report_hate_crime", "start_form"))
    assert slots.get("disclosure") is None
    assert slots.get("disclosure_journey") is None


def test_not_safe_forgets_the_story() -> None:
    told = {"disclosure": KEPT, "disclosure_journey": "hate_crime"}
    slots, _ = validate("start", tracker(told, "no", "safe_to_talk", "deny", "start_form"))
    assert slots["safe_to_talk"] is False
    assert slots["disclosure"] is None
    assert slots["disclosure_journey"] is None


def test_safe_keeps_the_story_for_its_journey() -> None:
    told = {"disclosure": KEPT, "disclosure_journey": "hate_crime"}
    slots, _ = validate("start", tracker(told, "yes", "safe_to_talk", "affirm", "start_form"))
    assert slots["safe_to_talk"] is True
    assert "disclosure" not in slots and "disclosure_journey" not in slots


def test_after_yes_the_waiting_journey_starts_with_the_story() -> None:
    told = {"disclosure": KEPT, "disclosure_journey": "hate_crime", "safe_to_talk": True, "journey": "start"}
    slots = start(tracker(told, "yes", None, "affirm", None))
    assert slots["journey"] == "hate_crime"
    assert slots["disclosure_journey"] is None
    assert "disclosure" not in slots  # kept as it was
    assert "safe_to_talk" not in slots  # remembered: the journey does not ask it again


def test_a_story_as_the_first_message_is_kept_for_its_journey() -> None:
    slots = start(tracker({}, STORY, None, "report_hate_crime", None))
    assert slots["journey"] == "hate_crime"
    assert slots["disclosure"] == KEPT


def test_a_story_for_another_journey_is_forgotten() -> None:
    slots = start(tracker({"disclosure": KEPT}, "/report_asb", None, "report_asb", None))
    assert slots["journey"] == "asb"
    assert slots["disclosure"] is None


def test_the_description_is_answered_from_the_story_when_it_is_next() -> None:
    answered = {"safe_to_talk": True, "postcode": "ST4 1AA", "consent_store": True, "disclosure": KEPT}
    t = tracker(answered, "yes", "consent_share", "affirm", "hate_crime_form")
    slots, _ = validate("hate_crime", t)
    assert slots["consent_share"] is True
    assert slots["incident_description"] == STORY
    assert slots["disclosure"] is None
    assert slots["requested_slot"] == "incident_when"


def test_the_story_waits_until_the_description_is_next() -> None:
    told = {"safe_to_talk": True, "disclosure": KEPT}
    slots, _ = validate("hate_crime", tracker(told, "ST4 1AA", "postcode", "inform", "hate_crime_form"))
    assert "incident_description" not in slots
    assert "disclosure" not in slots
    assert slots["requested_slot"] == "consent_store"


def test_a_story_too_long_for_the_question_is_not_used() -> None:
    story = {"intent": "report_hate_crime", "text": "they shouted at me " * 100}
    answered = {"safe_to_talk": True, "postcode": "ST4 1AA", "consent_store": True, "disclosure": story}
    t = tracker(answered, "yes", "consent_share", "affirm", "hate_crime_form")
    slots, messages = validate("hate_crime", t)
    assert slots.get("incident_description") is None
    assert slots["disclosure"] is None
    assert slots["requested_slot"] == "incident_description"
    assert messages == []


def test_finishing_a_flow_forgets_the_story() -> None:
    t = tracker({"disclosure": KEPT, "disclosure_journey": "hate_crime"}, "x", None, "affirm", None)
    names = {e["name"]: e["value"] for e in forget_answers(t)}
    assert names["disclosure"] is None
    assert names["disclosure_journey"] is None


def run_all() -> None:
    for name, test in sorted(globals().items()):
        if name.startswith("test_") and callable(test):
            test()
            print("ok", name)
