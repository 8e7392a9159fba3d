"""Session start, danger, stop and start again, consent withdrawal, and the language."""

from __future__ import annotations

import logging
import time
from typing import Any, Dict, List, Optional, Text

from babel import Locale, UnknownLocaleError
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.api_client import ApiClient, ApiError
from bot.actions.memory import (
    CHANNEL,
    CONSENT_RECEIPT,
    DANGER,
    DEFAULT_LANGUAGE,
    LANGUAGE,
    REFERRAL_REFERENCE,
    forget_everything,
    language_of,
)
from bot.flowkit.words import languages

logger = logging.getLogger(__name__)

# The languages the service will speak (DESIGN.md); those with locales/bot.<lang>.yml are available now.
PLANNED_LANGUAGES = ("en", "pl", "ro", "ur", "pa", "ar", "bn", "uk")
DEFAULT_EXPIRY_MINUTES = 120


def metadata_slots(tracker: Tracker) -> List[EventType]:
    metadata: Dict[Text, Any] = tracker.get_slot("session_started_metadata") or {}
    language = metadata.get("language") or tracker.get_slot(LANGUAGE) or DEFAULT_LANGUAGE
    channel = metadata.get("channel") or tracker.get_slot(CHANNEL) or "web_chat"
    return [SlotSet(LANGUAGE, language), SlotSet(CHANNEL, channel)]


def session_expired(tracker: Tracker, domain: Dict[Text, Any]) -> bool:
    """A new session because the last one timed out (not the first session, not after a restart)."""
    minutes = (domain.get("session_config") or {}).get("session_expiration_time") or DEFAULT_EXPIRY_MINUTES
    last_user: Optional[float] = None
    for event in tracker.events:
        if event.get("event") == "restart":
            last_user = None
        elif event.get("event") == "user":
            last_user = event.get("timestamp")
    return last_user is not None and time.time() - last_user > float(minutes) * 60


class ActionSessionStart(Action):
    """A session that timed out starts afresh (nothing carried over, see bot/README.md) and says so."""

    def name(self) -> Text:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        if session_expired(tracker, domain):
            dispatcher.utter_message(response="utter_session_expired")
        return [SessionStarted(), *metadata_slots(tracker), ActionExecuted("action_listen")]


class ActionResetConversation(Action):
    """Forget every answer (the person stopped or starts again); keep the language and channel."""

    def name(self) -> Text:
        return "action_reset_conversation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        return forget_everything(tracker)


class ActionRecordDanger(Action):
    """The person said they are in danger: any referral made from this conversation is marked urgent."""

    def name(self) -> Text:
        return "action_record_danger"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        return [SlotSet(DANGER, True)]


class ActionWithdrawConsent(Action):
    """Before a referral is made nothing has been kept, so withdrawing is forgetting. After one, the api
    withdraws the consent (the case leaves every queue, messages stop, erasure follows the retention
    policy); if that fails, the person is told how to withdraw by phone."""

    def name(self) -> Text:
        return "action_withdraw_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        reference = tracker.get_slot(REFERRAL_REFERENCE)
        consent_id = tracker.get_slot(CONSENT_RECEIPT)
        if not reference:
            dispatcher.utter_message(response="utter_consent_withdrawn_nothing_kept")
            return forget_everything(tracker)
        try:
            if not consent_id:
                raise ApiError("no consent receipt id")
            await ApiClient().withdraw_consent(consent_id, tracker.sender_id)
        except ApiError as exc:
            logger.error("consent not withdrawn error=%s", type(exc).__name__)
            dispatcher.utter_message(response="utter_consent_withdraw_referral", reference=reference)
            return forget_everything(tracker)
        dispatcher.utter_message(response="utter_consent_withdrawn_referral", reference=reference)
        return forget_everything(tracker)


def language_named(said: Text) -> Optional[Text]:
    """The planned language a message names, in English, in itself, or by its code ("polski", "Polish")."""
    words = " ".join(said.casefold().split())
    for code in PLANNED_LANGUAGES:
        try:
            locale = Locale.parse(code)
        except (UnknownLocaleError, ValueError):
            continue
        names = {
            code,
            (locale.get_display_name("en") or "").casefold(),
            (locale.get_display_name(code) or "").casefold(),
        }
        if any(name and len(name) > 2 and name in words for name in names) or words == code:
            return code
    return None


class ActionChooseLanguage(Action):
    """Change language when the person names one we speak; otherwise say which we speak (a placeholder
    until the multilingual issue adds languages: only locales/bot.<lang>.yml files count)."""

    def name(self) -> Text:
        return "action_choose_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        wanted = language_named(tracker.latest_message.get("text") or "")
        if wanted and wanted in languages():
            dispatcher.utter_message(response="utter_language_changed", language=wanted)
            return [SlotSet(LANGUAGE, wanted)]
        dispatcher.utter_message(response="utter_language_options")
        return []


__all__ = [
    "ActionChooseLanguage",
    "ActionRecordDanger",
    "ActionResetConversation",
    "ActionSessionStart",
    "ActionWithdrawConsent",
    "language_of",
]
