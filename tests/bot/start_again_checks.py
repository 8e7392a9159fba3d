"""Saying "start again" starts a new Rasa session (bot/actions/session.py, issue 16): the reset action
answers with a session start, the slots that survive a reset, the "starting again" words and the first form
as the next action; "stop" still only forgets. Run in the bot's environment
(tests/bot/test_bot_env_checks.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import session

SLOTS = {
    "language": "pl",
    "channel": "sms",
    "referral_reference": "SR-2345-6789",
    "consent_receipt_id": "c-1",
    "postcode": "ST4 1AA",
    "journey": "hate_crime",
}


def tracker(intent: str) -> Tracker:
    return Tracker(
        "w_synthetic",
        dict(SLOTS),
        {"text": "start again", "intent": {"name": intent}},
        [],
        False,
        None,
        {"name": "hate_crime_form"},
        None,
    )


def reset(intent: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(session.ActionResetConversation().run(dispatcher, tracker(intent), {}))
    return events, dispatcher.messages


def test_start_again_starts_a_new_session_then_the_first_form() -> None:
    events, messages = reset("start_again")
    assert [e["event"] for e in events[:2]] == ["restart", "session_started"], events
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "start_form"}, events
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots == {
        "language": "pl",
        "channel": "sms",
        "referral_reference": "SR-2345-6789",
        "consent_receipt_id": "c-1",
    }, slots
    assert [m.get("response") for m in messages] == ["utter_session_restarted"]


def test_stop_only_forgets_in_the_same_session() -> None:
    events, messages = reset("stop")
    kinds = [e["event"] for e in events]
    assert "session_started" not in kinds and "followup" not in kinds, kinds
    assert kinds[:2] == ["active_loop", "reset_slots"], kinds
    assert messages == []


def test_the_words_and_the_survivors_are_those_of_a_plain_reset() -> None:
    started, _ = reset("start_again")
    stopped, _ = reset("stop")
    assert [e for e in started if e["event"] == "slot"] == [e for e in stopped if e["event"] == "slot"]
