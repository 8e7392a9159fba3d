"""Hand the case over: build the referral from the flow's answers and submit it through the api."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.api_client import ApiClient, ApiError
from bot.actions.callback import FORM as CALLBACK_FORM
from bot.actions.callback import WINDOWS as CALLBACK_WINDOWS
from bot.actions.memory import CHANNEL, CONSENT_RECEIPT, DANGER, REFERRAL_REFERENCE, language_of
from bot.actions.phone_check import FORM as PHONE_CHECK_FORM
from bot.actions.phone_check import PENDING as PHONE_CHECK_PENDING
from bot.actions.phone_check import offer_events as phone_check_offer
from flowkit.flows import LoadedFlow
from flowkit.logic import referral_parts

logger = logging.getLogger(__name__)

CONSENT_RESPONSES = ("utter_ask_consent_store", "utter_ask_consent_share")
CONSENT_SLOTS = ("consent_store", "consent_share")
URGENT = ("emergency", "high")
# A call-back is offered only to someone who gave a number and did not say calls are unsafe.
CALLBACK_PURPOSE = "contact_phone"
CASE_REVIEW = "case_review_eligible"


def events_of_this_journey(tracker: Tracker) -> list[dict[str, Any]]:
    """The events since the journey started (an earlier, abandoned journey in this session is not it)."""
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "action" and events[index].get("name") == "action_start_journey":
            return events[index:]
    return events


def consent_wording_versions(tracker: Tracker) -> list[str]:
    """SHA-256 of the exact consent texts this person was shown (the NLG registered each one)."""
    versions: list[str] = []
    for event in events_of_this_journey(tracker):
        if event.get("event") != "bot":
            continue
        if (event.get("metadata") or {}).get("utter_action") in CONSENT_RESPONSES and event.get("text"):
            version = hashlib.sha256(event["text"].encode("utf-8")).hexdigest()
            if version not in versions:
                versions.append(version)
    return versions


def consent_time(tracker: Tracker) -> str:
    stamp: float | None = None
    for event in events_of_this_journey(tracker):
        if event.get("event") == "slot" and event.get("name") in CONSENT_SLOTS:
            stamp = event.get("timestamp") or stamp
    moment = datetime.fromtimestamp(stamp, timezone.utc) if stamp else datetime.now(timezone.utc)
    return moment.isoformat()


def build_referral(flow: LoadedFlow, tracker: Tracker, today: Any) -> dict[str, Any]:
    language = language_of(tracker)
    answers, person, purposes, triage = referral_parts(flow, tracker.slots, today)
    triage.update(
        {
            "lawful_basis": "consent",
            "consent": "given",
            "immediate_danger": "yes" if tracker.get_slot(DANGER) else "no",
        }
    )
    return {
        "source": tracker.get_slot(CHANNEL) or "web_chat",
        "conversation_id": tracker.sender_id,
        "language": language,
        "person": person,
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


async def submit(
    flow: LoadedFlow, dispatcher: CollectingDispatcher, tracker: Tracker, today: Any
) -> list[EventType]:
    """Submit, then tell the person what happens next: their reference, who will contact them and by when
    (the triage deadline, which the NLG writes out in their language), and, out of hours, that we are closed
    and when we open again; in hours, offer a call-back (bot/actions/callback.py)."""
    client = ApiClient()
    referral = build_referral(flow, tracker, today)
    try:
        result = await client.create_referral(referral)
    except (ApiError, KeyError, ValueError) as exc:
        logger.error("referral not submitted flow=%s error=%s", flow.id, type(exc).__name__)
        dispatcher.utter_message(response="utter_handoff_failed")
        return []
    if not result.get("reference"):
        dispatcher.utter_message(response="utter_handoff_signposted")
        return []
    hours = await opening_hours(client)
    is_open = bool(hours and hours.get("open_now"))
    if is_open or hours is None:  # not knowing, say nothing about being open or closed
        response = "utter_handoff_referred"
    else:
        response = (
            "utter_handoff_referred_closed_until"
            if hours.get("opens_at")
            else "utter_handoff_referred_closed"
        )
    dispatcher.utter_message(
        response=response,
        reference=result["reference"],
        deadline_at=result["deadline"],
        opens_at=(hours or {}).get("opens_at"),
        service_name_key=f"bot.queue_name.{result['queue']}",
        help_line_key=f"bot.help_line.{result['queue']}",
    )
    if result.get("priority") in URGENT:
        dispatcher.utter_message(response="utter_handoff_urgent")
    reports = referral["triage"].get("asb_reports_6m")
    if CASE_REVIEW in (result.get("flags") or []) and isinstance(reports, int):
        # TRIAGE.md R8: the person may ask for an ASB case review; tell them, with their own count.
        dispatcher.utter_message(response="utter_handoff_case_review", count=reports)
    logger.info("referral submitted flow=%s queue=%s", flow.id, result.get("queue"))
    events: list[EventType] = [
        SlotSet(REFERRAL_REFERENCE, result["reference"]),
        SlotSet(CONSENT_RECEIPT, result.get("consent_receipt_id")),
    ]
    # Texts are safe: offer to confirm the number with a code (bot/actions/phone_check.py), after the
    # call-back offer when there is one.
    phone_check = phone_check_offer(
        tracker.get_slot(CHANNEL),
        referral["consent"]["purposes"],
        referral["person"].get("phone"),
        result.get("phone_verified"),
    )
    events += phone_check
    windows = (hours or {}).get("callback_windows") or []
    if is_open and windows and CALLBACK_PURPOSE in referral["consent"]["purposes"]:
        # The offer is a small form of its own (bot/actions/callback.py), asked straight after this.
        events += [SlotSet(CALLBACK_WINDOWS, windows), FollowupAction(CALLBACK_FORM)]
    elif phone_check:
        events += [SlotSet(PHONE_CHECK_PENDING, None), FollowupAction(PHONE_CHECK_FORM)]
    return events


async def opening_hours(client: ApiClient) -> dict[str, Any] | None:
    try:
        return await client.service_hours()
    except ApiError:
        return None
