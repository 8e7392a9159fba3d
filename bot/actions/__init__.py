"""Custom actions and form validators. Actions hold no user-facing text: they name responses.

`api_client` is the only way an action reaches case data.
"""

from bot.actions.consent import ValidateConsentForm
from bot.actions.handoff import ActionSubmitReferral
from bot.actions.journey import ActionStartJourney, ValidateHateCrimeForm
from bot.actions.session import ActionResetConversation, ActionSessionStart

__all__ = [
    "ActionResetConversation",
    "ActionSessionStart",
    "ActionStartJourney",
    "ActionSubmitReferral",
    "ValidateConsentForm",
    "ValidateHateCrimeForm",
]
