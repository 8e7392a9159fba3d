"""Starting a flow, and ending it by the exit its answers lead to."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.forms import today_in_london
from bot.actions.handoff import submit
from bot.actions.memory import JOURNEY, forget_answers, forget_everything
from flowkit.flows import flow_for_form, flow_for_intent, load_flow
from flowkit.logic import asked, canonical_answers, submits
from flowkit.spec import Forget


class ActionStartJourney(Action):
    """The intent names the flow (flows/<id>.yml `intent:`); answers from any earlier flow are forgotten,
    except those marked `remember` ("safe to talk")."""

    def name(self) -> str:
        return "action_start_journey"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        flow_id = flow_for_intent(intent)
        if flow_id is None:
            return []
        events = [e for e in forget_answers(tracker) if e.get("name") != JOURNEY]
        flow = load_flow(flow_id)
        kept = {q.id: tracker.get_slot(q.id) for q in flow.questions if q.remember}
        if asked(flow, canonical_answers(flow, kept))[1] is None:
            # The form must ask something (a form that is done as it starts confuses the rules): the start
            # flow asks "are you safe to talk?" again even though the person said so earlier.
            events.extend(SlotSet(q, None) for q, value in kept.items() if value is not None)
        return [*events, SlotSet(JOURNEY, flow_id)]


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
