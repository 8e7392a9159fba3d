"""One form per flow, validated by the flow itself: which question comes next (branching with `when:` and
the flow's exits) and what an answer means (its type and limits), in the person's language.

A validator class per flow is made from flows/ when this module is imported, so a new flow needs no code.

An answer understood only in part (flowkit.parse: `confirm`) is not stored: the guess waits in
`answer_to_confirm`, the form asks `answer_confirmed` ("Just to check, did you mean: Sexual orientation?",
Yes/No), and only a yes stores it. A no asks the question again; anything else is read as a new answer to
the question. Only the question being asked is ever filled: an earlier answer never changes by itself.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from bot.actions.form_slots import LocalFormSlots
from bot.actions.memory import (
    ANSWER_CONFIRMED,
    ANSWER_TO_CONFIRM,
    DANGER,
    DISCLOSURE,
    DISCLOSURE_JOURNEY,
    language_of,
)
from bot.nlu.danger import DangerPhrases
from bot.nlu.interruptions import answers_about_harm, keeps_story, may_answer
from flowkit.disclosure import SAFETY_QUESTION, description_question, disclosure_flow, is_disclosure, kept
from flowkit.flows import flow_ids, load_flow
from flowkit.interruptions import START_FLOW
from flowkit.language import named_language
from flowkit.logic import asked, canonical_answers
from flowkit.parse import CONFIRM_RESPONSE, Parsed, parse_answer, parse_yes_no
from flowkit.spec import AnswerType, Question, Strictness
from flowkit.words import languages

LONDON = ZoneInfo("Europe/London")
REQUESTED_SLOT = "requested_slot"
# Said when a story is told in place of "are you safe to talk?", before the question is asked again.
THANKS_FOR_TELLING = "utter_disclosure_thanks"
EMERGENCY_ADVICE = "utter_safety_emergency"
SAID = "said"  # the entity of the api's /emergency{"said": …}
HARM_FIELD = "da_red_flags"
# How a reply to "did you mean …?" is read: a plain yes/no question.
CONFIRMATION = Question(id="answer_confirmed", type=AnswerType.yes_no, text_key="bot.confirm.ask")


@lru_cache(maxsize=1)
def danger_phrases() -> DangerPhrases:
    return DangerPhrases.load()


def today_in_london() -> Any:
    return datetime.now(LONDON).date()


def pending(tracker: Tracker) -> dict[str, Any] | None:
    """The guess waiting for a yes: {"question", "value", "args"}."""
    value = tracker.get_slot(ANSWER_TO_CONFIRM)
    return value if isinstance(value, dict) and "question" in value else None


class FlowFormValidation(LocalFormSlots, FormValidationAction):
    flow_id: str = ""

    def name(self) -> str:
        return f"validate_{self.flow_id}_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """The questions that apply so far, ending with the next to ask; none left when an exit applies.
        While a guess waits for a yes, `answer_confirmed` comes just before its question."""
        flow = load_flow(self.flow_id)
        relevant, _, _ = asked(flow, canonical_answers(flow, tracker.slots))
        guess = pending(tracker)
        if guess and guess["question"] in relevant and tracker.get_slot(guess["question"]) is None:
            at = relevant.index(guess["question"])
            return [*relevant[:at], ANSWER_CONFIRMED, *relevant[at:]]
        return relevant

    async def get_validation_events(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        flow = load_flow(self.flow_id)
        intent: str | None = (tracker.latest_message.get("intent") or {}).get("name")
        language = language_of(tracker)
        today = today_in_london()
        checked: dict[str, Any] = {}
        guess = pending(tracker)
        asking = tracker.get_slot(REQUESTED_SLOT)
        if guess is not None and asking == ANSWER_CONFIRMED and flow.has_question(guess["question"]):
            checked.update(self._confirmation(dispatcher, tracker, guess, intent, language, today))
        else:
            required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
            for slot, value in tracker.slots_to_validate().items():
                if slot not in required or not flow.has_question(slot):
                    continue
                if slot != asking:
                    # Only the question asked is answered: an earlier answer never changes by itself.
                    checked[slot] = _value_before_this_turn(tracker, slot)
                    continue
                if slot == SAFETY_QUESTION and (story := self._story(tracker, intent)):
                    dispatcher.utter_message(response=THANKS_FOR_TELLING)
                    checked.update(story)
                    continue
                checked.update(self._answer(dispatcher, flow.question(slot), value, intent, language, today))
            if isinstance(asking, str) and asking not in checked and flow.has_question(asking):
                checked.update(
                    self._answer_not_interruption(dispatcher, tracker, flow.question(asking), language, today)
                )
        if checked.get(SAFETY_QUESTION) is False:  # not safe: a story told is not kept
            told = (DISCLOSURE, DISCLOSURE_JOURNEY)
            checked.update({name: None for name in told if tracker.get_slot(name)})
        for slot, value in checked.items():
            tracker.slots[slot] = value
        prefilled = self._prefill_description(tracker, language, today)
        for slot, value in prefilled.items():
            tracker.slots[slot] = value
        checked.update(prefilled)
        return [SlotSet(slot, value) for slot, value in checked.items()]

    def _story(self, tracker: Tracker, intent: str | None) -> dict[str, Any]:
        """A story told in place of "are you safe to talk?" (flowkit/disclosure.py): kept for its journey
        (started from the start flow once the person says yes), and the question is asked again after "thank
        you for telling us what happened", without "please answer yes or no"."""
        text = tracker.latest_message.get("text")
        journey = disclosure_flow(intent)
        if not is_disclosure(intent, text) or journey is None:
            return {}
        story = {SAFETY_QUESTION: None, DISCLOSURE: {"intent": intent, "text": text}}
        if self.flow_id == START_FLOW:
            return {**story, DISCLOSURE_JOURNEY: journey}
        return story if journey == self.flow_id else {}

    def _answer_not_interruption(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        question: Question,
        language: str,
        today: Any,
    ) -> dict[str, Any]:
        """A message labelled as an interruption (hello again, change language, a low-confidence emergency)
        that the question's own parser understands with confidence is the answer (bot/nlu/interruptions.py):
        stored, and the form goes on, so the interruption's rule never runs. Anything less sure stays the
        interruption: nothing is stored from it. A story told in answer to a free-text question is kept even
        when the classifier alone took it for an emergency, and the emergency still counts: the 999 reminder
        is said and the case will be marked urgent, as the emergency rule would have done."""
        latest = tracker.latest_message
        label = latest.get("intent") or {}
        intent, confidence = label.get("name"), float(label.get("confidence") or 0.0)
        said, danger_phrase = _words_of(latest)
        if not said.strip():
            return {}
        danger_phrase = danger_phrase or danger_phrases().match(said) is not None
        free_text = question.type == AnswerType.free_text
        if keeps_story(intent, free_text=free_text) or answers_about_harm(
            intent, about_harm=_about_harm(question)
        ):
            parsed = parse_answer(question, said, None, language, today)
            if not parsed.ok and not parsed.confirm:
                return {}
            dispatcher.utter_message(response=EMERGENCY_ADVICE)
            if parsed.confirm:
                guess = {"question": question.id, "value": parsed.value, "args": parsed.args}
                return {question.id: None, ANSWER_TO_CONFIRM: guess, ANSWER_CONFIRMED: None, DANGER: True}
            return {question.id: parsed.value, DANGER: True}
        if danger_phrase:
            return {}
        named = named_language(said, languages(), alone=False)
        if not may_answer(
            intent,
            confidence,
            free_text=free_text,
            yes_no=question.type == AnswerType.yes_no,
            consent=question.strict == Strictness.consent,
            danger_phrase=danger_phrase,
            other_language_named=named is not None and named != language,
        ):
            return {}
        parsed = parse_answer(question, said, None, language, today)
        if not parsed.ok or parsed.confirm or parsed.value is None:
            return {}
        if question.strict == Strictness.safety and parsed.value is not True:
            return {}  # "not safe" said with words of danger: the emergency's own advice comes first
        return {question.id: parsed.value}

    def _prefill_description(self, tracker: Tracker, language: str, today: Any) -> dict[str, Any]:
        """When the journey's description question is next and a story was kept for this journey, answer it
        from the story (through the question's own validation) and forget the story. Nothing is said: if
        the story is not a valid answer, the question is simply asked."""
        story = kept(tracker.get_slot(DISCLOSURE))
        if story is None or disclosure_flow(story["intent"]) != self.flow_id:
            return {}
        flow = load_flow(self.flow_id)
        description = description_question(flow)
        if description is None or asked(flow, canonical_answers(flow, tracker.slots))[1] != description:
            return {}
        parsed = parse_answer(flow.question(description), story["text"], story["intent"], language, today)
        if parsed.ok and not parsed.confirm:
            return {description: parsed.value, DISCLOSURE: None}
        return {DISCLOSURE: None}

    def _answer(
        self,
        dispatcher: CollectingDispatcher,
        question: Question,
        value: Any,
        intent: str | None,
        language: str,
        today: Any,
    ) -> dict[str, Any]:
        parsed = parse_answer(question, value, intent, language, today)
        if parsed.confirm:
            guess = {"question": question.id, "value": parsed.value, "args": parsed.args}
            return {question.id: None, ANSWER_TO_CONFIRM: guess, ANSWER_CONFIRMED: None}
        if not parsed.ok:
            dispatcher.utter_message(response=parsed.error, **parsed.args)
        return {question.id: parsed.value}

    def _confirmation(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        guess: dict[str, Any],
        intent: str | None,
        language: str,
        today: Any,
    ) -> dict[str, Any]:
        """The reply to "did you mean …?": yes stores the guess; no asks the question again; anything else
        is a new answer to the question."""
        said = tracker.latest_message.get("text") or ""
        question = load_flow(self.flow_id).question(guess["question"])
        reply: Parsed = parse_yes_no(CONFIRMATION, said, None, language)
        done: dict[str, Any] = {ANSWER_TO_CONFIRM: None, ANSWER_CONFIRMED: None}
        if reply.ok and reply.value is True:
            return {**done, question.id: guess["value"]}
        if reply.ok and reply.value is False:
            dispatcher.utter_message(response="utter_confirm_ask_again")
            return {**done, question.id: None}
        if question.type != AnswerType.yes_no and said.strip():
            return {**done, **self._answer(dispatcher, question, said, intent, language, today)}
        # An unclear reply to the confirmation of a yes/no answer: ask the question again, store nothing.
        dispatcher.utter_message(response="utter_confirm_ask_again")
        return {**done, question.id: None}


def _words_of(latest: dict[str, Any]) -> tuple[str, bool]:
    """What the person typed, and whether a danger phrase matched it: the text, or for the api's
    `/emergency{"said": …}` (a danger phrase matched before any NLU) the words it carries; a tapped button's
    payload is no words ("", False)."""
    text = str(latest.get("text") or "")
    if not text.lstrip().startswith("/"):
        return text, False
    for entity in latest.get("entities") or []:
        if entity.get("entity") == SAID and isinstance(entity.get("value"), str):
            return entity["value"], True
    return "", False


def _about_harm(question: Question) -> bool:
    """A question that asks about harm (a domestic abuse risk question: its yes feeds `da_red_flags`), where
    an answer naturally says the words of danger."""
    return any(mapping.field == HARM_FIELD for mapping in question.triage)


def _value_before_this_turn(tracker: Tracker, slot: str) -> Any:
    """A slot's value before the person's latest message."""
    latest_user = max((i for i, e in enumerate(tracker.events) if e.get("event") == "user"), default=-1)
    value = None
    for event in tracker.events[: max(latest_user, 0)]:
        if event.get("event") == "slot" and event.get("name") == slot:
            value = event.get("value")
    return value


class ActionAskAnswerConfirmed(Action):
    """Asks "Just to check, did you mean: <the guess>?" with Yes and No."""

    def name(self) -> str:
        return "action_ask_answer_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        guess = pending(tracker)
        if guess is not None:
            dispatcher.utter_message(response=CONFIRM_RESPONSE, **(guess.get("args") or {}))
        return []


def _validator(flow_id: str) -> type:
    name = "Validate" + "".join(part.title() for part in flow_id.split("_")) + "Form"
    return type(name, (FlowFormValidation,), {"flow_id": flow_id, "__module__": __name__})


VALIDATORS = {flow_id: _validator(flow_id) for flow_id in flow_ids()}
