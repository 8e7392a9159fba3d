"""Consent: to store, then to share with the named service. Saying no to storing ends it there."""

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict


class ValidateConsentForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_consent_form"

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        # Nothing may be kept without consent to store, so sharing is not even asked.
        if tracker.get_slot("consent_store") is False:
            return ["consent_store"]
        return domain_slots
