"""What every form does when the person interrupts it: the intents that interrupt instead of answering,
and the steps each one takes. One table for the bot's generated rules (tools/gen_bot.py) and the Rasa test
stories that check them (tests/flows/stories.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Step = dict[str, Any]
START_FLOW = "start"
START_FORM = f"{START_FLOW}_form"
# Intents that interrupt a form instead of answering it; each has a rule in every form.
INTERRUPTIONS = ("emergency", "stop", "withdraw_consent", "start_again", "help", "choose_language", "greet")
# What each does, as the rules name it.
WHAT = {
    "emergency": "danger interrupts, then the questions carry on",
    "stop": "stop ends it and keeps nothing",
    "withdraw_consent": "withdrawing consent ends it and keeps nothing",
    "start_again": "start again",
    "help": "help, then the questions carry on",
    "choose_language": "change language, then the questions carry on",
    "greet": "hello again (after a pause), then the questions carry on",
}


def interruption_steps(intent: str, resume: Sequence[Step], restarted: Sequence[Step] = ()) -> list[Step]:
    """The steps after `intent` interrupts a form. `resume` is how the form carries on (a rule: the form
    runs and stays active; a story: it asks the same question again); `restarted` follows the start flow's
    form on "start again" (a story: the question it asks first)."""
    leave: list[Step] = [{"action": "action_deactivate_loop"}, {"active_loop": None}]
    steps: dict[str, list[Step]] = {
        "emergency": [{"action": "utter_safety_emergency"}, {"action": "action_record_danger"}, *resume],
        "stop": [*leave, {"action": "utter_session_stopped"}, {"action": "action_reset_conversation"}],
        "withdraw_consent": [*leave, {"action": "action_withdraw_consent"}],
        "start_again": [
            *leave,
            {"action": "action_reset_conversation"},
            {"action": "utter_session_restarted"},
            {"action": START_FORM},
            {"active_loop": START_FORM},
            *restarted,
        ],
        "help": [{"action": "utter_session_help"}, *resume],
        "choose_language": [{"action": "action_choose_language"}, *resume],
        "greet": [{"action": "utter_session_resume"}, *resume],
    }
    return steps[intent]
