"""Starting a journey and validating its answers against the rules in flows/."""

import os
from typing import Any, Dict, List, Text

import phonenumbers
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from bot.actions.flow import match_choice, question

JOURNEY_BY_INTENT = {"report_hate_crime": "hate_crime"}
MIN_FREE_TEXT = 2


class ActionStartJourney(Action):
    def name(self) -> Text:
        return "action_start_journey"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        journey = JOURNEY_BY_INTENT.get(intent or "")
        return [SlotSet("journey", journey)] if journey else []


def free_text(flow_id: Text, slot: Text, value: Any, dispatcher: CollectingDispatcher) -> Dict[Text, Any]:
    limit = int(question(flow_id, slot).get("max_length", 1000))
    text = " ".join(str(value or "").split())
    if len(text) < MIN_FREE_TEXT:
        dispatcher.utter_message(response="utter_validation_too_short")
        return {slot: None}
    if len(text) > limit:
        dispatcher.utter_message(response="utter_validation_too_long", max=limit)
        return {slot: None}
    return {slot: text}


# Ofcom's drama ranges, accepted only as synthetic data in development and tests (see api/kit/phone.py).
FICTIONAL_PREFIXES = ("+447700900", "+441632960", "+442079460")


def allow_fictional() -> bool:
    return os.environ.get("ALLOW_FICTIONAL_PHONE_NUMBERS", "").lower() in ("1", "true", "yes")


def phone(slot: Text, value: Any, dispatcher: CollectingDispatcher) -> Dict[Text, Any]:
    try:
        number = phonenumbers.parse(str(value or ""), "GB")
    except phonenumbers.NumberParseException:
        number = None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if number else ""
    fictional = allow_fictional() and e164.startswith(FICTIONAL_PREFIXES) and len(e164) == 13
    if number is None or not (phonenumbers.is_valid_number(number) or fictional):
        dispatcher.utter_message(response="utter_validation_phone")
        return {slot: None}
    return {slot: e164}


class ValidateHateCrimeForm(FormValidationAction):
    flow_id = "hate_crime"

    def name(self) -> Text:
        return "validate_hate_crime_form"

    def validate_incident_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return free_text(self.flow_id, "incident_description", value, dispatcher)

    def validate_incident_when(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return free_text(self.flow_id, "incident_when", value, dispatcher)

    def validate_hate_strand(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        language = tracker.get_slot("language") or "en"
        choice = match_choice(self.flow_id, "hate_strand", str(value or ""), language)
        if choice is None:
            dispatcher.utter_message(response="utter_validation_choice")
        return {"hate_strand": choice}

    def validate_contact_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return phone("contact_phone", value, dispatcher)
