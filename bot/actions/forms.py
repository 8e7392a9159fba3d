"""One form per flow, validated by the flow itself: which question comes next (branching with `when:` and
the flow's exits) and what an answer means (its type and limits), in the person's language.

A validator class per flow is made from flows/ when this module is imported, so a new flow needs no code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from bot.actions.memory import language_of
from flowkit.flows import flow_ids, load_flow
from flowkit.logic import asked, canonical_answers
from flowkit.parse import parse_answer

LONDON = ZoneInfo("Europe/London")


def today_in_london() -> Any:
    return datetime.now(LONDON).date()


class FlowFormValidation(FormValidationAction):
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
        """The questions that apply so far, ending with the next to ask; none left when an exit applies."""
        flow = load_flow(self.flow_id)
        relevant, _, _ = asked(flow, canonical_answers(flow, tracker.slots))
        return relevant

    async def get_validation_events(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        flow = load_flow(self.flow_id)
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        intent: str | None = (tracker.latest_message.get("intent") or {}).get("name")
        language = language_of(tracker)
        today = today_in_london()
        checked: dict[str, Any] = {}
        for slot, value in tracker.slots_to_validate().items():
            if slot not in required or not flow.has_question(slot):
                continue
            parsed = parse_answer(flow.question(slot), value, intent, language, today)
            if not parsed.ok:
                dispatcher.utter_message(response=parsed.error, **parsed.args)
            checked[slot] = parsed.value
            tracker.slots[slot] = parsed.value
        return [SlotSet(slot, value) for slot, value in checked.items()]


def _validator(flow_id: str) -> type:
    name = "Validate" + "".join(part.title() for part in flow_id.split("_")) + "Form"
    return type(name, (FlowFormValidation,), {"flow_id": flow_id, "__module__": __name__})


VALIDATORS = {flow_id: _validator(flow_id) for flow_id in flow_ids()}
