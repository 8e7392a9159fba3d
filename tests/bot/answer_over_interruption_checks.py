"""The form validator (bot/actions/forms.py) when the classifier labelled an answer as an interruption: the
question's own parser wins when it understands the message with confidence ("this morning" to "when did it
happen?" is a date, not a greeting; "on the 5th" is not an emergency), and nothing is stored otherwise.

Runs in the bot's environment, through tests/bot/test_bot_env_checks.py."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.forms import VALIDATORS, today_in_london
from tests.bot.confirm_checks import ANSWERED, DOMAIN

BEFORE_WHEN = {k: v for k, v in ANSWERED.items() if k != "incident_when"}


DA_BEFORE_WEAPON = {
    **{k: v for k, v in ANSWERED.items() if not k.startswith("incident")},
    "da_relationship": "partner",
    "da_description": "he controls everything I do",
    "da_frightened": True,
    "da_escalating": True,
    "da_threats_to_kill": False,
    "da_strangulation": False,
}


def interrupted(
    slots: dict[str, Any],
    text: str,
    requested: str,
    intent: str,
    confidence: float,
    flow: str = "hate_crime",
    entities: list[dict[str, Any]] | None = None,
) -> Tracker:
    """The tracker after `text`, labelled `intent`, while `requested` was asked: an interruption's label
    fills no slot (the generated slot mappings leave it out), so only the validator can take it."""
    return Tracker(
        "c1",
        {**slots, "requested_slot": requested},
        {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": entities or []},
        [{"event": "user", "text": text}],
        False,
        None,
        {"name": f"{flow}_form"},
        None,
    )


def danger_matched(slots: dict[str, Any], said: str, requested: str, flow: str) -> Tracker:
    """As the api sends a message whose danger phrase matched: /emergency{"said": <the words>}."""
    payload = "/emergency" + json.dumps({"said": said}, ensure_ascii=False)
    entity = {"entity": "said", "value": said}
    return interrupted(slots, payload, requested, "emergency", 1.0, flow, [entity])


def run(t: Tracker, flow: str = "hate_crime") -> tuple[dict[str, Any], list[str]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(VALIDATORS[flow]().run(dispatcher, t, DOMAIN))
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    return slots, [m["response"] for m in dispatcher.messages]


def stored(t: Tracker) -> dict[str, Any]:
    return run(t)[0]


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
    story = "they throw stones at my windows every night"
    slots, said = run(interrupted(before, story, "incident_description", "emergency", 0.64))
    assert slots["incident_description"] == story
    assert slots["danger_reported"] is True
    assert said == ["utter_safety_emergency"]
    assert slots["requested_slot"] == "incident_when"


def test_a_story_with_a_danger_phrase_is_kept_after_the_999_advice() -> None:
    before = {k: v for k, v in ANSWERED.items() if k not in ("incident_description", "incident_when")}
    story = "he said he would burn the house down with us inside"
    slots, said = run(danger_matched(before, story, "incident_description", "hate_crime"), "hate_crime")
    assert slots["incident_description"] == story
    assert slots["danger_reported"] is True
    assert said == ["utter_safety_emergency"]


def test_yes_he_has_a_knife_answers_the_weapon_question_after_the_999_advice() -> None:
    for text, language in (("tak ma noz", "pl"), ("yes he has a knife", "en"), ("так, у нього ніж", "uk")):
        before = {**DA_BEFORE_WEAPON, "language": language}
        slots, said = run(danger_matched(before, text, "da_weapon", "domestic_abuse"), "domestic_abuse")
        assert slots["da_weapon"] is True, text
        assert slots["danger_reported"] is True
        assert said == ["utter_safety_emergency"]


def test_danger_words_never_answer_a_question_not_about_harm() -> None:
    t = danger_matched(ANSWERED, "he is outside with a knife", "hate_strand", "hate_crime")
    slots, said = run(t)
    assert slots.get("hate_strand") is None
    assert slots["requested_slot"] == "hate_strand"
    assert said == []  # the emergency rule says the advice, not the validator


def test_yes_i_can_talk_taken_for_an_unsure_emergency_is_safe_to_talk() -> None:
    before = {"language": "bn"}
    slots = stored(interrupted(before, "ha ekhon kotha bolte pari", "safe_to_talk", "emergency", 0.56))
    assert slots["safe_to_talk"] is True


def test_not_safe_taken_for_an_emergency_stays_the_emergency() -> None:
    slots = stored(interrupted({"language": "en"}, "no not really", "safe_to_talk", "emergency", 0.5))
    assert slots.get("safe_to_talk") is None
    assert slots["requested_slot"] == "safe_to_talk"


def test_a_postcode_with_thanks_taken_for_an_unsure_stop_is_the_postcode() -> None:
    before = {"language": "ro", "safe_to_talk": True}
    slots = stored(interrupted(before, "ST41AA multumesc", "postcode", "stop", 0.36))
    assert slots["postcode"] == "ST4 1AA"


def test_no_stop_to_a_yes_no_question_stops() -> None:
    before = {**ANSWERED, "hate_strand": "race"}
    slots = stored(interrupted(before, "no stop", "hate_repeat", "stop", 0.5))
    assert slots.get("hate_repeat") is None
    assert slots["requested_slot"] == "hate_repeat"


def test_a_harm_answer_understood_in_part_is_put_to_the_person_after_the_999_advice() -> None:
    before = {**DA_BEFORE_WEAPON, "language": "bn"}
    t = interrupted(before, "ha tar kache chhuri ache", "da_weapon", "emergency", 0.66, "domestic_abuse")
    slots, said = run(t, "domestic_abuse")
    assert slots["da_weapon"] is None
    assert slots["answer_to_confirm"]["value"] is True
    assert slots["danger_reported"] is True
    assert said == ["utter_safety_emergency"]
    assert slots["requested_slot"] == "answer_confirmed"
