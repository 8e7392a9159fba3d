"""Session start and reset: the conversation's language and channel come from the api's metadata."""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, AllSlotsReset, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

DEFAULT_LANGUAGE = "en"


def metadata_slots(tracker: Tracker) -> List[EventType]:
    metadata: Dict[Text, Any] = tracker.get_slot("session_started_metadata") or {}
    language = metadata.get("language") or tracker.get_slot("language") or DEFAULT_LANGUAGE
    channel = metadata.get("channel") or tracker.get_slot("channel") or "web_chat"
    return [SlotSet("language", language), SlotSet("channel", channel)]


class ActionSessionStart(Action):
    def name(self) -> Text:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        return [SessionStarted(), *metadata_slots(tracker), ActionExecuted("action_listen")]


class ActionResetConversation(Action):
    """Forget every answer (the person stopped, or it is not safe); keep only language and channel."""

    def name(self) -> Text:
        return "action_reset_conversation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        language = tracker.get_slot("language") or DEFAULT_LANGUAGE
        channel = tracker.get_slot("channel") or "web_chat"
        return [ActiveLoop(None), AllSlotsReset(), SlotSet("language", language), SlotSet("channel", channel)]
