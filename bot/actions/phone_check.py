"""After hand-off, when the person said texts are safe: "shall we text you a code to check we have your
number right?" (issue 17, part 4). A yes sends the code through the api (POST
/v1/referrals/{reference}/phone-check: the SMS goes through the outbox, so the safe-contact rules apply);
the person types it back and the api checks it (…/phone-check/confirm), which marks the number verified on
the case. Never a dead end and never in the way of the referral, which is already made: no, "skip", "I
didn't get it" (anything without digits), a code that expired, three wrong codes, or the api not answering
all carry on with the number unverified (the caseworker sees that and checks who answers).

In the SMS channel the number the person texts from is verified by the channel itself (the api marks it so
when it is the number they gave, and says so in its answer: `phone_verified`); the code is offered there only
for another number, which may be mistyped.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from bot.actions.api_client import ApiClient, ApiError
from bot.actions.form_slots import LocalFormSlots
from bot.actions.memory import REFERRAL_REFERENCE, language_of
from flowkit.parse import parse_yes_no
from flowkit.spec import AnswerType, Question

logger = logging.getLogger(__name__)

FORM = "phone_check_form"
OFFER = "phone_check_offer"  # True: send a code; False: no thanks
CODE = "phone_code"  # how it ended: verified | skipped | failed | expired | unavailable
NUMBER = "phone_check_number"  # the number the code goes to, shown so that a mistyped one is seen
PENDING = "phone_check_pending"  # offer it once the call-back offer (if any) is done
SLOTS = (OFFER, CODE, NUMBER, PENDING)
OFFER_QUESTION = Question(id=OFFER, type=AnswerType.yes_no, text_key="bot.phone_check.offer")
DIGIT = re.compile(r"\d")
SETTLED = {"verified", "failed", "expired", "unavailable", "skipped"}


class ValidatePhoneCheckForm(LocalFormSlots, FormValidationAction):
    def name(self) -> str:
        return f"validate_{FORM}"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """The code is asked only after a yes."""
        return [OFFER, CODE] if tracker.get_slot(OFFER) is not False else [OFFER]

    async def validate_phone_check_offer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Only a clear yes sends a code; anything else is a no (and the person carries on)."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        parsed = parse_yes_no(OFFER_QUESTION, value, intent, language_of(tracker))
        if not (parsed.ok and parsed.value is True and not parsed.confirm):
            return {OFFER: False, CODE: "declined"}
        reference = tracker.get_slot(REFERRAL_REFERENCE)
        try:
            if not reference:
                raise ApiError("no referral in this conversation")
            answer = await ApiClient().send_phone_code(str(reference), tracker.sender_id)
        except ApiError:
            return {OFFER: False, CODE: "unavailable"}
        if answer.get("outcome") == "verified":
            return {OFFER: True, CODE: "verified"}
        return {OFFER: True}

    async def validate_phone_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Digits are a code to check; a message without any ("skip", "I didn't get it", a tapped Skip) is
        the person carrying on without one."""
        said = str(value or "")
        if said.startswith("/") or not DIGIT.search(said):
            return {CODE: "skipped"}
        try:
            answer = await ApiClient().confirm_phone_code(
                str(tracker.get_slot(REFERRAL_REFERENCE)), tracker.sender_id, said
            )
        except ApiError:
            return {CODE: "unavailable"}
        outcome = answer.get("outcome")
        if outcome == "wrong":
            dispatcher.utter_message(response="utter_phone_check_wrong")
            return {CODE: None}
        return {CODE: outcome if outcome in SETTLED else "unavailable"}


class ActionFinishPhoneCheck(Action):
    """The form is done: say how it ended, forget it, and go on to the call-back offer if one is waiting."""

    def name(self) -> str:
        return "action_finish_phone_check"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        ended = tracker.get_slot(CODE)
        if ended == "verified":
            dispatcher.utter_message(response="utter_phone_check_verified")
        elif ended == "failed":
            dispatcher.utter_message(response="utter_phone_check_failed")
        else:
            dispatcher.utter_message(response="utter_phone_check_not_verified")
        logger.info("phone check ended outcome=%s", ended)
        return [SlotSet(name, None) for name in SLOTS]


def offer_events(
    channel: str | None, purposes: list[str], phone: Any, verified: Any = None
) -> list[EventType]:
    """At hand-off: the events that start the offer (texts safe, a number given and not verified already:
    in the SMS channel, a number other than the one texting us)."""
    if "contact_sms" not in purposes or not isinstance(phone, str) or not phone or verified is True:
        return []
    if channel == "sms" and verified is None:  # an api that did not say: the sender's own, most likely
        return []
    return [SlotSet(NUMBER, phone), SlotSet(PENDING, True)]


def start_if_pending(tracker: Tracker) -> list[EventType]:
    """After the call-back offer: the phone check, if one is waiting."""
    if tracker.get_slot(PENDING):
        return [SlotSet(PENDING, None), FollowupAction(FORM)]
    return []
