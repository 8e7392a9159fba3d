"""Starting a flow, and ending it by the exit its answers lead to."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.forms import today_in_london
from bot.actions.handoff import submit
from bot.actions.memory import (
    DISCLOSURE,
    DISCLOSURE_JOURNEY,
    JOURNEY,
    forget_answers,
    forget_everything,
)
from flowkit.disclosure import disclosure_flow, is_disclosure, kept
from flowkit.flows import flow_for_form, flow_for_intent, flow_ids, load_flow
from flowkit.logic import asked, canonical_answers, submits
from flowkit.spec import Forget


class ActionStartJourney(Action):
    """The intent names the flow (flows/<id>.yml `intent:`); answers from any earlier flow are forgotten,
    except those marked `remember` ("safe to talk").

    Disclosure first (flowkit/disclosure.py): a message that tells what happened is kept (`disclosure`) for
    the journey it starts, whose form answers its description question from it. After "are you safe to
    talk?" is answered yes, the journey a story told earlier named (`disclosure_journey`) starts instead of
    the menu."""

    def name(self) -> str:
        return "action_start_journey"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        flow_id = flow_for_intent(intent)
        waiting = tracker.get_slot(DISCLOSURE_JOURNEY)
        if flow_id is None and waiting in flow_ids():
            flow_id = str(waiting)
        if flow_id is None:
            return []
        ours = (JOURNEY, DISCLOSURE, DISCLOSURE_JOURNEY)
        events = [e for e in forget_answers(tracker) if e.get("name") not in ours]
        events.extend(story_events(tracker, intent, flow_id))
        flow = load_flow(flow_id)
        kept = {q.id: tracker.get_slot(q.id) for q in flow.questions if q.remember}
        if asked(flow, canonical_answers(flow, kept))[1] is None:
            # The form must ask something (a form that is done as it starts confuses the rules): the start
            # flow asks "are you safe to talk?" again even though the person said so earlier.
            events.extend(SlotSet(q, None) for q, value in kept.items() if value is not None)
        return [*events, SlotSet(JOURNEY, flow_id)]


def story_events(tracker: Tracker, intent: str | None, flow_id: str) -> list[EventType]:
    """The story kept for the journey starting now: this message if it tells one for it, else one told
    earlier for it; any other is forgotten. The journey waiting for the safety answer is now started."""
    text = tracker.latest_message.get("text")
    story = kept(tracker.get_slot(DISCLOSURE))
    if is_disclosure(intent, text) and disclosure_flow(intent) == flow_id:
        story = {"intent": str(intent), "text": str(text)}
    elif story is not None and disclosure_flow(story["intent"]) != flow_id:
        story = None
    events: list[EventType] = []
    if story != tracker.get_slot(DISCLOSURE):
        events.append(SlotSet(DISCLOSURE, story))
    if tracker.get_slot(DISCLOSURE_JOURNEY) is not None:
        events.append(SlotSet(DISCLOSURE_JOURNEY, None))
    return events


def last_form(tracker: Tracker) -> str | None:
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name"):
            return str(event["name"])
    return None


class ActionFinishFlow(Action):
    """Runs when a flow's form is done: takes the first exit that applies (flows/ `exits:`)."""

    def name(self) -> str:
        return "action_finish_flow"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        flow_id = flow_for_form(last_form(tracker))
        if flow_id is None:
            dispatcher.utter_message(response="utter_fallback_default")
            return []
        flow = load_flow(flow_id)
        _, missing, exit_ = asked(flow, canonical_answers(flow, tracker.slots))
        if missing is not None:  # the form was left early (it should not be): keep nothing
            dispatcher.utter_message(response="utter_fallback_default")
            return forget_answers(tracker)
        events: list[EventType] = []
        if exit_.say is not None:
            dispatcher.utter_message(response=exit_.response)
        if submits(exit_):
            events.extend(await submit(flow, dispatcher, tracker, today_in_london()))
        if exit_.forget == Forget.everything:
            return events + forget_everything(tracker)
        return events + forget_answers(tracker)
