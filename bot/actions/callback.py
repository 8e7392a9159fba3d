"""The call-back offer after hand-off, while the team is working: "would you like a caseworker to phone you
today? choose a time when it is safe to talk". The times on offer come from the api (GET /v1/service/hours,
set by OPENING_HOURS); the answer is sent to POST /v1/referrals/{reference}/callback, which keeps it on the
case in the provider's queue.

Offered only when the person gave a phone number and did not say calls are unsafe (the consent's
`contact_phone` purpose); out of hours the hand-off says when the service opens instead.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from bot.actions.api_client import ApiClient, ApiError
from bot.actions.form_slots import LocalFormSlots
from bot.actions.memory import REFERRAL_REFERENCE, language_of
from bot.actions.phone_check import start_if_pending
from flowkit.callback import window_for

logger = logging.getLogger(__name__)

WINDOWS = "callback_windows"
ANSWER = "callback_time"
FORM = "callback_form"


def windows_of(tracker: Tracker) -> list[dict[str, Any]]:
    windows = tracker.get_slot(WINDOWS)
    return [w for w in windows if isinstance(w, dict) and w.get("id")] if isinstance(windows, list) else []


class ValidateCallbackForm(LocalFormSlots, FormValidationAction):
    def name(self) -> str:
        return f"validate_{FORM}"

    async def validate_callback_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        windows = windows_of(tracker)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        chosen = window_for(windows, value, intent, language_of(tracker))
        if chosen is None:
            dispatcher.utter_message(response="utter_callback_choose", count=len(windows) + 1)
        return {ANSWER: chosen}


class ActionRequestCallback(Action):
    """The form is done: ask the api for the call-back (or note that none is wanted), then forget the
    offer."""

    def name(self) -> str:
        return "action_request_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        chosen = tracker.get_slot(ANSWER)
        window = next((w for w in windows_of(tracker) if w["id"] == chosen), None)
        reference = tracker.get_slot(REFERRAL_REFERENCE)
        # Then the phone check, when one is waiting (bot/actions/phone_check.py).
        forget: list[EventType] = [SlotSet(WINDOWS, None), SlotSet(ANSWER, None), *start_if_pending(tracker)]
        if window is None or not reference:
            dispatcher.utter_message(response="utter_callback_declined")
            return forget
        try:
            await ApiClient().request_callback(reference, tracker.sender_id, window["id"])
        except ApiError:
            # Closed meanwhile, or the time passed: the case is handed off all the same.
            dispatcher.utter_message(response="utter_callback_unavailable")
            return forget
        dispatcher.utter_message(
            response="utter_callback_booked", start_time=window["starts_at"], end_time=window["ends_at"]
        )
        logger.info("callback requested window=%s", window["id"])
        return forget
