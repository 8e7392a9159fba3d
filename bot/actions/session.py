"""Session start, danger, stop and start again, consent withdrawal, and the language."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, cast

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, FollowupAction, Restarted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

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
from flowkit.language import named_language
from flowkit.words import languages

logger = logging.getLogger(__name__)

DEFAULT_EXPIRY_MINUTES = 120


def metadata_slots(tracker: Tracker) -> list[EventType]:
    metadata: dict[str, Any] = tracker.get_slot("session_started_metadata") or {}
    language = metadata.get("language") or tracker.get_slot(LANGUAGE) or DEFAULT_LANGUAGE
    channel = metadata.get("channel") or tracker.get_slot(CHANNEL) or "web_chat"
    return [SlotSet(LANGUAGE, language), SlotSet(CHANNEL, channel)]


def session_expired(tracker: Tracker, domain: DomainDict) -> bool:
    """A new session because the last one timed out (not the first session, not after a restart)."""
    # Rasa sends the whole domain; the SDK's DomainDict names only some of its keys.
    config = cast("dict[str, Any]", dict(domain).get("session_config") or {})
    minutes = config.get("session_expiration_time") or DEFAULT_EXPIRY_MINUTES
    last_user: float | None = None
    for event in tracker.events:
        if event.get("event") == "restart":
            last_user = None
        elif event.get("event") == "user":
            last_user = event.get("timestamp")
    return last_user is not None and time.time() - last_user > float(minutes) * 60


class ActionSessionStart(Action):
    """A session that timed out starts afresh (nothing carried over, see bot/README.md) and says so."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if session_expired(tracker, domain):
            dispatcher.utter_message(response="utter_session_expired")
        return [SessionStarted(), *metadata_slots(tracker), ActionExecuted("action_listen")]


START_AGAIN = "start_again"
START_FORM = "start_form"


class ActionResetConversation(Action):
    """Forget every answer (the person stopped or starts again); keep the language and channel.

    "Start again" also starts a new Rasa session, so the tracker Rasa reads and replays each turn holds only
    the new journey, not every journey of the conversation (issue 16): the session start, the slots kept,
    then the rule's own next steps said here (the words "starting again", then the first form) because the
    rule's history ends with the old session. Rasa's test stories, which do not run actions, still follow
    the rule (bot/data/rules), so the model and the stories are unchanged."""

    def name(self) -> str:
        return "action_reset_conversation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent != START_AGAIN:
            return forget_everything(tracker)
        kept = [e for e in forget_everything(tracker) if e.get("event") == "slot"]
        dispatcher.utter_message(response="utter_session_restarted")
        # `Restarted` first, as Rasa's own restart: the form then looks for answers only after it (Rasa's
        # FormAction takes every slot event since the latest user message, which a session start forgets).
        return [Restarted(), SessionStarted(), *kept, FollowupAction(START_FORM)]


# Background marks in flight (a task nobody references may be collected before it finishes).
_URGENT_TASKS: set[asyncio.Task[None]] = set()


async def mark_case_urgent(reference: str | None, conversation_id: str) -> None:
    """Ask the api to make the conversation's case urgent: the one the slots name, or, when the slots name
    none (a session that expired forgets it; an SMS number keeps its conversation id for good), every open
    case the bot made in this conversation, which the api knows. Never raises: the 999 advice never waits
    on it or fails because of it; a failure is logged (codes only) for the operators."""
    try:
        if reference:
            await ApiClient().mark_urgent(reference, conversation_id)
            logger.info("case marked urgent")
        else:
            marked = await ApiClient().urgent_by_conversation(conversation_id)
            logger.info("cases of the conversation marked urgent count=%s", len(marked))
    except Exception as exc:  # whatever happens, the person's safety advice stands
        logger.error("case not marked urgent error=%s", type(exc).__name__)


class ActionRecordDanger(Action):
    """The person said they are in danger (the 999 advice is already said): a referral made later in this
    conversation is marked urgent (the DANGER slot), and one already handed off is made urgent through the
    api in the background, so the advice reaches the person without waiting for it. When the slots name
    no case (a new session), the api is asked to mark whatever this conversation has open."""

    def name(self) -> str:
        return "action_record_danger"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reference = tracker.get_slot(REFERRAL_REFERENCE)
        task = asyncio.get_running_loop().create_task(mark_case_urgent(reference, tracker.sender_id))
        _URGENT_TASKS.add(task)
        task.add_done_callback(_URGENT_TASKS.discard)
        return [SlotSet(DANGER, True)]


class ActionWithdrawConsent(Action):
    """After a referral, the api withdraws the consent (the case leaves every queue, messages stop, erasure
    follows the retention policy); if that fails, the person is told how to withdraw by phone.

    When the slots name no referral, that does not mean none was made: a session that expired (120
    minutes) forgets it, and an SMS number keeps one conversation id for good. So the api, which knows
    which conversation made which referral, is asked to withdraw whatever this conversation made: the
    person hears "withdrawn" with the references when there was one, "nothing has been kept" only when the
    api says there is none, and how to withdraw by phone when the api could not be asked."""

    def name(self) -> str:
        return "action_withdraw_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reference = tracker.get_slot(REFERRAL_REFERENCE)
        consent_id = tracker.get_slot(CONSENT_RECEIPT)
        if not reference:
            return await self._withdraw_by_conversation(dispatcher, tracker)
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

    @staticmethod
    async def _withdraw_by_conversation(
        dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[EventType]:
        try:
            references = await ApiClient().withdraw_by_conversation(tracker.sender_id)
        except ApiError as exc:
            logger.error("consent not withdrawn by conversation error=%s", type(exc).__name__)
            dispatcher.utter_message(response="utter_consent_withdraw_unchecked")
            return forget_everything(tracker)
        if references:
            logger.info("consent withdrawn by conversation count=%s", len(references))
            dispatcher.utter_message(
                response="utter_consent_withdrawn_referral", reference=", ".join(references)
            )
        else:
            dispatcher.utter_message(response="utter_consent_withdrawn_nothing_kept")
        return forget_everything(tracker)


def wanted_language(tracker: Tracker) -> str | None:
    """The language the person asked for: the menu's payload (`/choose_language{"language": "pl"}`, also
    what the api sends when a message only names a language) or a language named in the message."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == LANGUAGE and entity.get("value") in languages():
            return str(entity["value"])
    return named_language(tracker.latest_message.get("text") or "", languages(), alone=False)


class ActionChooseLanguage(Action):
    """Switch to the language the person asked for, or offer the menu (every language we speak, each named
    in itself; a number answers it). The api is told of a switch by a custom message, so the conversation,
    its consent receipt and its referral keep the choice."""

    def name(self) -> str:
        return "action_choose_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        wanted = wanted_language(tracker)
        if wanted:
            dispatcher.utter_message(response="utter_language_changed", language=wanted)
            dispatcher.utter_message(json_message={"set_language": wanted})
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
