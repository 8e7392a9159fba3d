"""Hand the case over: build the referral from the conversation and submit it through the api."""

import hashlib
import logging
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.api_client import ApiClient, ApiError
from bot.actions.flow import load_flow

logger = logging.getLogger(__name__)

CONSENT_RESPONSES = ("utter_ask_consent_store", "utter_ask_consent_share")


def consent_wording_versions(tracker: Tracker) -> List[Text]:
    """SHA-256 of the exact consent texts this person was shown (the NLG registered each one)."""
    versions: List[Text] = []
    for event in tracker.events:
        if event.get("event") != "bot":
            continue
        if (event.get("metadata") or {}).get("utter_action") in CONSENT_RESPONSES and event.get("text"):
            version = hashlib.sha256(event["text"].encode("utf-8")).hexdigest()
            if version not in versions:
                versions.append(version)
    return versions


def consent_time(tracker: Tracker) -> Text:
    stamp: Optional[float] = None
    for event in tracker.events:
        if event.get("event") == "slot" and event.get("name") in ("consent_store", "consent_share"):
            stamp = event.get("timestamp") or stamp
    moment = datetime.fromtimestamp(stamp, timezone.utc) if stamp else datetime.now(timezone.utc)
    return moment.isoformat()


def danger_mentioned(tracker: Tracker) -> bool:
    return any(
        e.get("event") == "user" and (e.get("parse_data") or {}).get("intent", {}).get("name") == "emergency"
        for e in tracker.events
    )


def build_referral(tracker: Tracker) -> Dict[Text, Any]:
    journey = tracker.get_slot("journey")
    flow = load_flow(journey)
    language = tracker.get_slot("language") or "en"
    answers = {q["id"]: tracker.get_slot(q["id"]) for q in flow["questions"] if q["type"] != "phone"}
    purposes = ["store_and_process", "share_with_provider", "contact_phone"]
    if tracker.get_slot("sms_safe") is True:
        purposes.append("contact_sms")
    triage: Dict[Text, Any] = {
        "reporter_role": "self",
        "lawful_basis": "consent",
        "consent": "given",
        "incident_type": flow["incident_type"],
        "immediate_danger": "yes" if danger_mentioned(tracker) else "no",
    }
    for q in flow["questions"]:
        if q.get("maps_to") == "hate_strands" and tracker.get_slot(q["id"]):
            triage["hate_strands"] = [tracker.get_slot(q["id"])]
    return {
        "source": tracker.get_slot("channel") or "web_chat",
        "conversation_id": tracker.sender_id,
        "language": language,
        "person": {"phone": tracker.get_slot("contact_phone"), "sms_safe": tracker.get_slot("sms_safe")},
        "answers": answers,
        "consent": {
            "given_by": "person",
            "purposes": purposes,
            "wording_versions": consent_wording_versions(tracker),
            "language": language,
            "given_at": consent_time(tracker),
        },
        "triage": triage,
    }


class ActionSubmitReferral(Action):
    def name(self) -> Text:
        return "action_submit_referral"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        try:
            result = await ApiClient().create_referral(build_referral(tracker))
        except (ApiError, KeyError, FileNotFoundError) as exc:
            logger.error("referral not submitted error=%s", type(exc).__name__)
            dispatcher.utter_message(response="utter_handoff_failed")
            return []
        dispatcher.utter_message(
            response="utter_handoff_referred", reference=result["reference"], deadline_at=result["deadline"]
        )
        return [SlotSet("referral_reference", result["reference"])]
