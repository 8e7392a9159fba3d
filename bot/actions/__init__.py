"""Custom actions and form validators. Actions hold no user-facing text: they name responses.

`api_client` is the only way an action reaches case data. Form validators are made from flows/ (forms.py).
"""

from bot.actions.callback import ActionRequestCallback, ValidateCallbackForm
from bot.actions.forms import VALIDATORS, ActionAskAnswerConfirmed, FlowFormValidation
from bot.actions.journey import ActionFinishFlow, ActionStartJourney
from bot.actions.phone_check import ActionFinishPhoneCheck, ValidatePhoneCheckForm
from bot.actions.session import (
    ActionChooseLanguage,
    ActionRecordDanger,
    ActionResetConversation,
    ActionSessionStart,
    ActionWithdrawConsent,
)

__all__ = [
    "VALIDATORS",
    "ActionAskAnswerConfirmed",
    "ActionChooseLanguage",
    "ActionFinishFlow",
    "ActionFinishPhoneCheck",
    "ActionRecordDanger",
    "ActionRequestCallback",
    "ActionResetConversation",
    "ActionSessionStart",
    "ActionStartJourney",
    "ActionWithdrawConsent",
    "FlowFormValidation",
    "ValidateCallbackForm",
    "ValidatePhoneCheckForm",
]
