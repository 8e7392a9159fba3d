"""When the bot offers to confirm the number with a one-time code (bot/actions/phone_check.py, issue 17):
texts safe and a number given that is not verified already. In the web chat every typed number is offered
a code; in the SMS channel only a number other than the one texting us (the api says `phone_verified`).
Run in the bot's environment (tests/bot/test_bot_env_checks.py)."""

from __future__ import annotations

from bot.actions.phone_check import NUMBER, PENDING, offer_events

TEXTS_SAFE = ["store_and_process", "share_with_provider", "contact_sms"]
PHONE = "+447700900123"


def offered(events: list[dict[str, object]]) -> bool:
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return slots.get(NUMBER) == PHONE and slots.get(PENDING) is True


def test_the_web_chat_offers_a_code_for_a_typed_number() -> None:
    assert offered(offer_events("web_chat", TEXTS_SAFE, PHONE, False))


def test_sms_offers_a_code_for_a_number_other_than_the_sender() -> None:
    assert offered(offer_events("sms", TEXTS_SAFE, PHONE, False))


def test_sms_offers_nothing_for_the_senders_own_number() -> None:
    assert offer_events("sms", TEXTS_SAFE, PHONE, True) == []
    assert offer_events("sms", TEXTS_SAFE, PHONE, None) == []  # the api did not say


def test_nothing_when_texts_are_not_safe_or_no_number() -> None:
    assert offer_events("web_chat", ["store_and_process", "share_with_provider"], PHONE, False) == []
    assert offer_events("web_chat", TEXTS_SAFE, None, None) == []
    assert offer_events("web_chat", TEXTS_SAFE, "", False) == []
