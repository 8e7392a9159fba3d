"""What the conversation remembers, and how it forgets. Slot names the actions share."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, AllSlotsReset, EventType, SlotSet

from flowkit.flows import all_question_ids, flow_ids, load_flow

LANGUAGE = "language"
CHANNEL = "channel"
JOURNEY = "journey"
REFERRAL_REFERENCE = "referral_reference"
CONSENT_RECEIPT = "consent_receipt_id"
DANGER = "danger_reported"
DEFAULT_LANGUAGE = "en"
# A guess at an answer waiting for the person's yes ({"question", "value", "args"}), and the form's "slot"
# that asks for that yes (bot/actions/forms.py).
ANSWER_TO_CONFIRM = "answer_to_confirm"
ANSWER_CONFIRMED = "answer_confirmed"
# Disclosure first (flowkit/disclosure.py): the story told before its journey asked for it ({"intent",
# "text"}), and the journey it starts once the person is safe to talk (featurized: the generated rules
# start that journey instead of the menu).
DISCLOSURE = "disclosure"
DISCLOSURE_JOURNEY = "disclosure_journey"
# Kept through "stop" and "start again" for the rest of the session: a referral made in this conversation
# (so consent can still be withdrawn) and a danger signal (so any case made afterwards is urgent).
SURVIVES_RESET = (REFERRAL_REFERENCE, CONSENT_RECEIPT, DANGER)


def language_of(tracker: Tracker) -> str:
    return tracker.get_slot(LANGUAGE) or DEFAULT_LANGUAGE


def remembered_questions() -> list[str]:
    ids: list[str] = []
    for flow_id in flow_ids():
        ids.extend(q.id for q in load_flow(flow_id).questions if q.remember)
    return ids


def forget_answers(tracker: Tracker) -> list[EventType]:
    """Forget every answer (and the journey, and a story kept for it), except those a flow marks `remember`
    (safe to talk)."""
    keep = set(remembered_questions())
    events: list[EventType] = [SlotSet(JOURNEY, None), SlotSet(ANSWER_TO_CONFIRM, None)]
    told = (DISCLOSURE, DISCLOSURE_JOURNEY)
    events.extend(SlotSet(name, None) for name in told if tracker.get_slot(name))
    events.extend(
        SlotSet(q, None) for q in all_question_ids() if q not in keep and tracker.get_slot(q) is not None
    )
    return events


def forget_everything(tracker: Tracker) -> list[EventType]:
    """As after "stop": nothing but the language, the channel and SURVIVES_RESET."""
    kept: list[Any] = [
        SlotSet(LANGUAGE, language_of(tracker)),
        SlotSet(CHANNEL, tracker.get_slot(CHANNEL) or "web_chat"),
    ]
    kept.extend(SlotSet(name, tracker.get_slot(name)) for name in SURVIVES_RESET if tracker.get_slot(name))
    return [ActiveLoop(None), AllSlotsReset(), *kept]
