"""Consent: to store, then to share with the named service. Saying no to storing ends it there."""

from typing import Any, Dict, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict


class ValidateConsentForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_consent_form"

    def validate_consent_store(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value is True:
            return {"consent_store": True}
        # Nothing may be kept: do not ask about sharing.
        return {"consent_store": False, "consent_share": False, "consent_given": False}

    def validate_consent_share(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        given = value is True and tracker.get_slot("consent_store") is True
        return {"consent_share": value is True, "consent_given": given}
