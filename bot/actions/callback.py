"""The call-back offer after hand-off, while the team is working: "would you like a caseworker to phone you
today? choose a time when it is safe to talk". The times on offer come from the api (GET /v1/service/hours,
set by OPENING_HOURS); the answer is sent to POST /v1/referrals/{reference}/callback, which keeps it on the
case in the provider's queue.

Offered only when the person gave a phone number and did not say calls are unsafe (the consent's
`contact_phone` purpose); out of hours the hand-off says when the service opens instead.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, time
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from bot.actions.api_client import ApiClient, ApiError
from bot.actions.memory import REFERRAL_REFERENCE, language_of
from bot.flowkit.parse import NO_INTENTS, YES_INTENTS, _payload_choice
from bot.flowkit.words import text

logger = logging.getLogger(__name__)

WINDOWS = "callback_windows"
ANSWER = "callback_time"
FORM = "callback_form"
ASAP = "asap"
DECLINED = "none"
# "14:30", "14.30", "2pm", "2.30 pm", "٢:٣٠" is not handled (digits are folded by the channel first).
_TIME = re.compile(
    r"(?<!\d)([01]?\d|2[0-3])(?:[:.]([0-5]\d))?\s*(am|pm|a\.m\.|p\.m\.)?(?!\d)", re.IGNORECASE
)


def windows_of(tracker: Tracker) -> List[Dict[Text, Any]]:
    windows = tracker.get_slot(WINDOWS)
    return [w for w in windows if isinstance(w, dict) and w.get("id")] if isinstance(windows, list) else []


def _said_time(said: Text) -> Optional[time]:
    """A time of day typed with minutes or am/pm ("14:00", "2pm"); a bare number is a choice's number."""
    match = _TIME.search(said)
    if match is None or (match.group(2) is None and match.group(3) is None):
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = (match.group(3) or "").lower().replace(".", "")
    if suffix == "pm" and hour < 12:
        hour += 12
    if suffix == "am" and hour == 12:
        hour = 0
    return time(hour, minute)


def _label(name: Text, language: Text) -> Text:
    return (text(f"bot.callback.{name}", language) or "").lower()


def window_for(
    windows: List[Dict[Text, Any]], raw: Any, intent: Optional[Text], language: Text
) -> Optional[Text]:
    """The window an answer means: a tapped time, its number (SMS: the times, then "no call"), a time of day
    inside one of them, "yes" (as soon as possible) or "no" (no call). None when it is none of these."""
    ids = [w["id"] for w in windows]
    said = str(raw or "").strip()
    tapped = _payload_choice(said)
    if tapped is not None:
        return tapped if tapped in ids else None
    bare = said.strip(" .!)")
    if bare.isdigit():
        number = int(bare)
        if 1 <= number <= len(ids):
            return ids[number - 1]
        return DECLINED if number == len(ids) + 1 else None
    wanted = _said_time(said)
    if wanted is not None:
        for window in reversed(windows):  # a named block before "as soon as possible" when both contain it
            start, end = (datetime.fromisoformat(window[k]).timetz() for k in ("starts_at", "ends_at"))
            if start.replace(tzinfo=None) <= wanted < end.replace(tzinfo=None) or (
                end.replace(tzinfo=None) == time(0, 0) and wanted >= start.replace(tzinfo=None)
            ):
                return window["id"]
        return None
    lowered = said.lower()
    if said == "/deny" or intent in NO_INTENTS or lowered == _label("decline", language):
        return DECLINED
    if said == "/affirm" or intent in YES_INTENTS or lowered == _label("asap", language):
        return ASAP if ASAP in ids else None
    return None


class ValidateCallbackForm(FormValidationAction):
    def name(self) -> Text:
        return f"validate_{FORM}"

    async def validate_callback_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        windows = windows_of(tracker)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        chosen = window_for(windows, value, intent, language_of(tracker))
        if chosen is None:
            dispatcher.utter_message(response="utter_callback_choose", count=len(windows) + 1)
        return {ANSWER: chosen}


class ActionRequestCallback(Action):
    """The form is done: ask the api for the call-back (or note that none is wanted), then forget the offer."""

    def name(self) -> Text:
        return "action_request_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        chosen = tracker.get_slot(ANSWER)
        window = next((w for w in windows_of(tracker) if w["id"] == chosen), None)
        reference = tracker.get_slot(REFERRAL_REFERENCE)
        forget: List[EventType] = [SlotSet(WINDOWS, None), SlotSet(ANSWER, None)]
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
